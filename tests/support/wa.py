"""Seeding helpers for the WhatsApp REST tests: sessions in a given state, chats, messages,
grants, leases, and reading what the gateway queued for workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from arq.connections import ArqRedis
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import access, chats, passkeys, sessions
from shared.db.types import Chat, PasskeyRequest, WaSession
from tests.support.databases import NAMES

QR_REF = "2@abcDEF123,noiseKey=,identityKey=,advSecret="


async def queued(arq: ArqRedis, queue: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, payload) of every job waiting on ``queue``, oldest first."""
    jobs = sorted(await arq.queued_jobs(queue_name=queue), key=lambda j: j.score or 0)
    return [(j.function, j.args[0] if j.args else {}) for j in jobs]


async def seed_session(
    pg: AsyncConnectionPool,
    company_id: UUID,
    *,
    name: str = "main",
    state: str = "idle",
    reason: str | None = None,
    qr: str | None = None,
    phone: str | None = None,
    display_name: str | None = None,
    desired: str = "running",
) -> WaSession:
    async with pg.connection() as conn:
        row = await sessions.create(conn, company_id=company_id, name=name)
        await sessions.set_desired(
            conn, company_id=company_id, session_id=row.id, desired_state=desired
        )
        if state != "idle":
            await sessions.worker_set_state(
                conn, session_id=row.id, state=state, reason=reason, worker_id="w-seed"
            )
        if qr is not None:
            await sessions.worker_set_qr(
                conn,
                session_id=row.id,
                qr_payload=qr,
                expires_at=datetime.now(UTC) + timedelta(seconds=60),
            )
        if phone or display_name:
            await sessions.worker_set_identity(
                conn, session_id=row.id, phone=phone, display_name=display_name
            )
        fresh = await sessions.get(conn, company_id=company_id, session_id=row.id)
    assert fresh is not None
    return fresh


async def grant(
    pg: AsyncConnectionPool,
    company_id: UUID,
    session_id: UUID,
    manager_id: UUID,
    *,
    read: bool = True,
    write: bool = False,
    manage: bool = False,
) -> None:
    async with pg.connection() as conn:
        row = await access.grant(
            conn,
            company_id=company_id,
            session_id=session_id,
            manager_id=manager_id,
            can_read=read,
            can_write=write,
            can_manage_chats=manage,
            granted_by=None,
        )
    assert row is not None


async def seed_chat(
    pg: AsyncConnectionPool,
    session_id: UUID,
    wa_chat_id: str,
    *,
    name: str = "",
    unread: int = 0,
    at: datetime | None = None,
    preview: str | None = None,
) -> Chat:
    async with pg.connection() as conn:
        return await chats.worker_upsert(
            conn,
            session_id=session_id,
            wa_chat_id=wa_chat_id,
            name=name,
            is_group=False,
            unread_count=unread,
            last_message_at=at,
            last_message_preview=preview,
        )


async def seed_messages(
    pg: AsyncConnectionPool, session_id: UUID, chat_id: UUID, count: int, *, ties: bool = True
) -> list[UUID]:
    """``count`` inbound messages, pairs sharing a timestamp when ``ties`` (to exercise the id
    tie-break); returns their ids newest first, as the API must order them."""
    base = datetime.now(UTC) - timedelta(hours=1)
    async with pg.connection() as conn:
        await conn.execute(
            "INSERT INTO wa_messages (session_id, chat_id, wa_msg_id, direction, sender, body,"
            " status, created_at)"
            " SELECT %(sid)s, %(cid)s, 'wa-' || %(cid)s || '-' || i, 'in', 'Contact',"
            "  'message ' || i, 'read',"
            "  %(base)s + make_interval(secs => (CASE WHEN %(ties)s THEN i / 2 ELSE i END))"
            " FROM generate_series(1, %(n)s) AS i",
            {"sid": session_id, "cid": chat_id, "n": count, "base": base, "ties": ties},
        )
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT id FROM wa_messages WHERE chat_id = %(cid)s ORDER BY created_at DESC, id DESC",
            {"cid": chat_id},
        )
        return [r["id"] for r in await cur.fetchall()]


async def hold_lease(redis: Redis, session_id: UUID, worker_id: str = "w-holder") -> None:
    await redis.set(NAMES.lease_key(str(session_id)), worker_id, px=60_000)


PASSKEY_CHALLENGE = "cGFzc2tleS1jaGFsbGVuZ2UtMDAwMDAwMDAwMDAx"  # 30 bytes, base64url


async def seed_passkey_request(
    pg: AsyncConnectionPool,
    session_id: UUID,
    *,
    challenge: str = PASSKEY_CHALLENGE,
    expires_in_s: float = 600,
    origin: str = "https://web.whatsapp.com",
) -> PasskeyRequest:
    """A passkey request of the session's page, as its worker stores it (state passkey_required)."""
    options = {
        "challenge": challenge,
        "rpId": "whatsapp.com",
        "timeout": 600_000,
        "userVerification": "required",
        "allowCredentials": [],
    }
    async with pg.connection() as conn:
        await sessions.worker_set_state(
            conn,
            session_id=session_id,
            state="passkey_required",
            reason="passkey_required",
            worker_id="w-seed",
        )
        return await passkeys.worker_open(
            conn,
            session_id=session_id,
            options=options,
            origin=origin,
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in_s),
        )
