"""What a worker writes for the 2026 page, written here the way the worker does it (Postgres rows,
the ``wa:drift`` hash, events on ``wa:events``), so gateway tests need no browser."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis
from psycopg.rows import tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import chats, messages, sessions
from shared.db.types import Chat, WaSession
from shared.payloads import message_payload
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


async def set_message_status(
    pg: AsyncConnectionPool, redis: Redis, message_id: UUID, status: str
) -> None:
    """Write a message's new status and publish what the worker publishes with it: an ack for
    delivered/read, the message as sent (or unconfirmed, or failed) otherwise."""
    async with pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "UPDATE wa_messages m SET status = %(s)s FROM wa_sessions s"
            " WHERE m.id = %(id)s AND s.id = m.session_id RETURNING s.company_id, m.session_id",
            {"s": status, "id": message_id},
        )
        found = await cur.fetchone()
        assert found is not None
        company_id, session_id = found[0], found[1]
        message = await messages.get(
            conn, company_id=company_id, session_id=session_id, message_id=message_id
        )
        assert message is not None
        chat = await chats.get(
            conn, company_id=company_id, session_id=session_id, chat_id=message.chat_id
        )
    assert chat is not None
    event: events.Event
    if status in ("delivered", "read"):
        ack = events.MessageAckData(chat_id=chat.id, message_id=message_id, status=status)
        event = events.MessageAckEvent(session_id=session_id, company_id=company_id, data=ack)
    else:
        data = events.MessageData(
            chat_id=chat.id, message=message_payload(message, wa_chat_id=chat.wa_chat_id)
        )
        event = events.MessageSentEvent(session_id=session_id, company_id=company_id, data=data)
    await publish(pg, redis, event)


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
