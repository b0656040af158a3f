"""Admin session commands (start, stop, restart, disconnect, reset, delete), shared by the
session routes and the single-session shortcuts. Each writes Postgres and its audit row in one
transaction, then enqueues.

A command job goes to a session's queue only while a worker holds its lease; otherwise the
gateway writes the resulting state itself (nobody else would), with its event in the log.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from gateway import auditing
from gateway.commands import lease_holder, send_command
from gateway.keys import ARQ, EVENTS, NAMES, PG, PRINCIPAL, REDIS
from gateway.responses import CommandOut
from shared import events, jobs
from shared.db.pool import LONG_UNIT_S
from shared.db.repos import sessions
from shared.db.types import Conn, WaSession
from shared.queues import enqueue_start
from shared.states import Reason, SessionState

log = logging.getLogger(__name__)


async def _audit(
    request: web.Request, conn: Conn, action: str, session: WaSession, **details: Any
) -> None:
    details = {"name": session.name, **details}
    await auditing.record(conn, request[PRINCIPAL], action, target=str(session.id), details=details)


async def _set_desired(conn: Conn, session: WaSession, desired: str) -> None:
    await sessions.set_desired(
        conn, company_id=session.company_id, session_id=session.id, desired_state=desired
    )


async def _holder(request: web.Request, session: WaSession) -> str | None:
    return await lease_holder(request.app[REDIS], request.app[NAMES], session.id)


async def _command(
    request: web.Request, session: WaSession, name: jobs.CommandName, *, reason: str
) -> None:
    await send_command(request.app[ARQ], request.app[NAMES], session.id, name, reason=reason)


async def queue_start(request: web.Request, session: WaSession) -> bool:
    """Enqueue ``start_session``; if Redis is down the reconciler starts it (desired=running)."""
    try:
        return await enqueue_start(request.app[ARQ], request.app[NAMES], str(session.id))
    except RedisError as exc:
        log.warning("session=%s start not queued (%s); the reconciler will", session.id, exc)
        return False


async def _write_stopped(
    conn: Conn, session: WaSession, reason: Reason, *, forget: bool
) -> tuple[WaSession, events.StateEvent | None]:
    written = await sessions.admin_set_state(
        conn,
        company_id=session.company_id,
        session_id=session.id,
        state=SessionState.STOPPED,
        reason=reason,
        clear_identity=forget,
    )
    if written is None:
        return session, None
    previous, row = written
    event = events.StateEvent(
        session_id=row.id,
        company_id=row.company_id,
        data=events.StateData(
            state=SessionState.STOPPED, previous=SessionState(previous), reason=reason
        ),
    )
    return row, event


def _out(session: WaSession, desired: str, queued: str | None, message: str) -> CommandOut:
    return CommandOut(
        session_id=session.id,
        desired_state=desired,
        state=SessionState(session.state),
        queued=queued,
        message=message,
    )


async def start(request: web.Request, session: WaSession) -> CommandOut:
    async with request.app[PG].connection() as conn, conn.transaction():
        await _set_desired(conn, session, "running")
        await _audit(request, conn, "session.start", session)
    await queue_start(request, session)
    return _out(session, "running", jobs.START_SESSION, "start requested; a worker will pick it up")


async def _halt(
    request: web.Request,
    session: WaSession,
    *,
    reason: Reason,
    command: jobs.CommandName,
    forget: bool,
    action: str,
    done: str,
) -> CommandOut:
    """Stop wanting the session to run: the holder gets ``command``; with no holder, the state is
    written here (and, with ``forget``, the phone identity dropped)."""
    holder = await _holder(request, session)
    async with request.app[EVENTS].unit() as unit:
        await _set_desired(unit.conn, session, "stopped")
        if holder is None:
            session, event = await _write_stopped(unit.conn, session, reason, forget=forget)
            if event is not None:
                unit.emit(event)
        await _audit(request, unit.conn, action, session, worker=holder)
    if holder is None:
        return _out(session, "stopped", None, f"session {done} (no worker held it)")
    await _command(request, session, command, reason=reason)
    return _out(session, "stopped", command, f"{command} sent to worker {holder}")


async def stop(request: web.Request, session: WaSession) -> CommandOut:
    return await _halt(
        request,
        session,
        reason=Reason.STOPPED_BY_ADMIN,
        command="stop",
        forget=False,
        action="session.stop",
        done="stopped",
    )


async def restart(request: web.Request, session: WaSession) -> CommandOut:
    holder = await _holder(request, session)
    async with request.app[PG].connection() as conn, conn.transaction():
        await _set_desired(conn, session, "running")
        await _audit(request, conn, "session.restart", session, worker=holder)
    if holder is None:
        await queue_start(request, session)
        return _out(session, "running", jobs.START_SESSION, "not running; start requested")
    await _command(request, session, "restart", reason="restart_by_admin")
    return _out(session, "running", jobs.RESTART, f"restart sent to worker {holder}")


async def disconnect(request: web.Request, session: WaSession) -> CommandOut:
    """Log the device out of WhatsApp and stop."""
    return await _halt(
        request,
        session,
        reason=Reason.DISCONNECTED_BY_ADMIN,
        command="logout",
        forget=True,
        action="session.disconnect",
        done="disconnected",
    )


async def reset(request: web.Request, session: WaSession) -> CommandOut:
    """Log out and start again with a fresh QR.

    The logout waits in the session's queue (it expires if unused): the current owner, or the
    worker that claims the session next, consumes it; the reconciler then starts it anew.
    """
    async with request.app[PG].connection() as conn, conn.transaction():
        await _set_desired(conn, session, "running")
        await _audit(request, conn, "session.reset", session)
    await _command(request, session, "logout", reason="reset")
    await queue_start(request, session)
    return _out(session, "running", jobs.LOGOUT, "logging out; a fresh QR follows")


async def delete(request: web.Request, session: WaSession) -> str | None:
    """Delete the row (chats, messages and access go with it); the owner logs out first."""
    holder = await _holder(request, session)
    if holder is not None:
        await _command(request, session, "logout", reason="deleted")
    # a long unit of work: the session's chats and messages go with it
    async with request.app[PG].connection(timeout=LONG_UNIT_S) as conn, conn.transaction():
        await sessions.delete(conn, company_id=session.company_id, session_id=session.id)
        await _audit(request, conn, "session.delete", session, worker=holder)
    return holder
