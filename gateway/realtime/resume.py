"""Resuming a socket from ``auth.lastEventId``: is the cursor still in the log, and the replay of
what the socket missed, filtered by its rooms exactly as live events are.

A cursor the log no longer covers (pruned), one ahead of the log (another database), or one
behind by more than ``APP_RESUME_MAX_EVENTS`` gets ``resync_required``: the client reloads its
lists and keeps the id it is given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import socketio
from psycopg_pool import AsyncConnectionPool

from gateway.realtime import rooms
from gateway.realtime.feed import Feed
from gateway.realtime.payloads import RESUMED_EVENT, to_socket
from shared.db.repos import event_log

BATCH = 500


def cursor_of(auth: Any) -> int | None:
    """``auth.lastEventId`` (absent or null: a fresh start); anything but a non-negative
    integer refuses the connection."""
    if not isinstance(auth, dict) or auth.get("lastEventId") is None:
        return None
    raw = auth["lastEventId"]
    if isinstance(raw, str) and raw.isdigit() and len(raw) <= 18:
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw < 2**63:
        raise socketio.exceptions.ConnectionRefusedError(
            "lastEventId must be a non-negative integer (the eventId of the last event received)"
        )
    return raw


@dataclass(frozen=True, slots=True)
class Plan:
    after: int  # the client's cursor
    resync: str | None  # why the log cannot be replayed from there; None: replay


async def plan(pg: AsyncConnectionPool, company_id: UUID, cursor: int, max_events: int) -> Plan:
    async with pg.connection() as conn:
        where = await event_log.position(conn, company_id=company_id)
    if cursor > where.last_id:
        return Plan(cursor, "cursor_ahead")
    if cursor < where.pruned_through:
        return Plan(cursor, "cursor_too_old")
    if where.last_id - cursor > max_events:
        return Plan(cursor, "too_many_missed")
    return Plan(cursor, None)


async def replay(
    sio: socketio.AsyncServer,
    pg: AsyncConnectionPool,
    *,
    sid: str,
    joined: Iterable[str],
    company_id: UUID,
    after: int,
    upto: int,
) -> tuple[int, int]:
    """Emit to one socket, in order, the company's events in (after, upto] that its rooms
    receive; returns (the last id read, how many were emitted)."""
    wanted = set(joined)
    sent = 0
    while after < upto:
        async with pg.connection() as conn:
            batch = await event_log.after(
                conn, company_id=company_id, after_id=after, limit=BATCH, upto=upto
            )
        if not batch:
            break
        for event in batch:
            out = to_socket(event)
            if rooms.may_receive(wanted, company_id, event.session_id, admins_only=out.admins_only):
                await sio.emit(out.name, out.data, to=sid, namespace=rooms.NAMESPACE)
                sent += 1
            after = event.event_id or after
    return after, sent


async def resume_socket(
    sio: socketio.AsyncServer,
    pg: AsyncConnectionPool,
    feed: Feed,
    *,
    sid: str,
    joined: set[str],
    company_id: UUID,
    after: int,
    join: Callable[[], Awaitable[None]],
) -> None:
    """The events a socket missed, then live ones. Most of the replay runs while live delivery
    goes on (up to what this gateway delivered so far); the rest, the room join (``join``) and
    ``resume-complete`` happen at the company's seam, where nothing is delivered meanwhile."""
    sent = 0
    position = feed.position(company_id)
    if position is not None:
        after, sent = await replay(
            sio, pg, sid=sid, joined=joined, company_id=company_id, after=after, upto=position
        )
    async with feed.seam(company_id) as position:
        after, more = await replay(
            sio, pg, sid=sid, joined=joined, company_id=company_id, after=after, upto=position
        )
        if not sio.manager.is_connected(sid, rooms.NAMESPACE):
            return
        await join()
        done = {"lastEventId": position, "replayed": sent + more}
        await sio.emit(RESUMED_EVENT, done, to=sid, namespace=rooms.NAMESPACE)
