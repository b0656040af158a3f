"""What a worker writes for the 2026 page, written here the way the worker does it (Postgres rows,
the ``wa:drift`` hash, events on ``wa:events``), so gateway tests need no browser."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import sessions
from shared.db.types import Chat, WaSession
from tests.support.databases import NAMES
from tests.support.eventlog import log_and_publish


async def publish(pg: AsyncConnectionPool, redis: Redis, event: events.Event) -> None:
    """Log the event, then publish it (the worker's order)."""
    await log_and_publish(pg, redis, event)


async def store_pairing_code(
    pg: AsyncConnectionPool,
    session_id: UUID,
    code: str,
    expires_at: datetime | None,
    phone: str | None = None,
) -> None:
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_sessions SET pairing_code = %(c)s, pairing_phone = %(p)s,"
            " pairing_code_expires_at = %(e)s, updated_at = now() WHERE id = %(id)s",
            {"c": code, "p": phone, "e": expires_at, "id": session_id},
        )


def pairing_event(
    session: WaSession, code: str, phone: str, expires_at: datetime | None
) -> events.PairingCodeEvent:
    return events.PairingCodeEvent(
        session_id=session.id,
        company_id=session.company_id,
        data=events.PairingCodeData(code=code, phone=phone, expires_at=expires_at),
    )


async def set_state(
    pg: AsyncConnectionPool,
    redis: Redis,
    session: WaSession,
    state: str,
    reason: str | None,
    detail: str | None = None,
) -> None:
    """Write the transition, then publish it (the worker's order)."""
    async with pg.connection() as conn:
        written = await sessions.worker_set_state(
            conn, session_id=session.id, state=state, reason=reason, worker_id="w-test",
            detail=detail,
        )  # fmt: skip
    assert written is not None
    previous, _ = written
    data = events.StateData(state=state, previous=previous, reason=reason, detail=detail)
    await publish(
        pg,
        redis,
        events.StateEvent(session_id=session.id, company_id=session.company_id, data=data),
    )


async def set_page_drift(pg: AsyncConnectionPool, session_id: UUID, drift: dict[str, Any]) -> None:
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_sessions SET page_drift = %(d)s WHERE id = %(id)s",
            {"d": Jsonb(drift), "id": session_id},
        )


async def count_drift(redis: Redis, kind: str, times: int = 1) -> None:
    for _ in range(times):
        await redis.hincrby(NAMES.drift_counts, kind, 1)  # type: ignore[misc]


async def set_chat_ids(
    pg: AsyncConnectionPool, chat: Chat, *, phone_jid: str | None, lid: str | None
) -> None:
    """Fill the other ids of one person's chat, as the worker does once it learns them."""
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_chats SET phone_jid = %(p)s, lid = %(l)s WHERE id = %(id)s",
            {"p": phone_jid, "l": lid, "id": chat.id},
        )


async def set_message_status(pg: AsyncConnectionPool, message_id: UUID, status: str) -> None:
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_messages SET status = %(s)s WHERE id = %(id)s",
            {"s": status, "id": message_id},
        )


async def next_command(
    arq: ArqRedis, session_id: UUID, timeout_s: float = 5.0
) -> tuple[str, dict[str, Any]]:
    """The first job queued for the session's owner, once there is one."""
    async with asyncio.timeout(timeout_s):
        while True:
            jobs = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session_id)))
            if jobs:
                return jobs[0].function, jobs[0].args[0]
            await asyncio.sleep(0.02)
