"""Passkey requests of a session's page: opened and closed by the session's worker, answered or
cancelled once by an admin of the session's company.

Functions taking ``company_id`` serve the gateway (joined to the session's company); the
``worker_*`` ones serve the worker holding the session's lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from shared.db.types import OPEN_PASSKEY_STATUSES, Conn, PasskeyRequest

_OF_COMPANY = (
    " AND r.session_id = %(sid)s"
    " AND EXISTS (SELECT 1 FROM wa_sessions s WHERE s.id = r.session_id AND s.company_id = %(cid)s)"
)


async def _one(conn: Conn, sql: str, params: dict[str, Any]) -> PasskeyRequest | None:
    async with conn.cursor(row_factory=class_row(PasskeyRequest)) as cur:
        await cur.execute(sql, params)
        return await cur.fetchone()


# --- worker --------------------------------------------------------------------------------


async def worker_open(
    conn: Conn,
    *,
    session_id: UUID,
    options: dict[str, Any],
    origin: str,
    expires_at: datetime,
) -> PasskeyRequest:
    """A new request of the page; one still open for the session is closed as superseded."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE wa_passkey_requests SET status = 'failed', ended_reason = 'superseded',"
            " updated_at = now() WHERE session_id = %(sid)s AND status = ANY(%(open)s)",
            {"sid": session_id, "open": list(OPEN_PASSKEY_STATUSES)},
        )
        row = await _one(
            conn,
            "INSERT INTO wa_passkey_requests (session_id, options, origin, expires_at)"
            " VALUES (%(sid)s, %(o)s, %(origin)s, %(exp)s) RETURNING *",
            {"sid": session_id, "o": Jsonb(options), "origin": origin, "exp": expires_at},
        )
    assert row is not None
    return row


async def worker_confirming(
    conn: Conn, *, request_id: UUID, code: str, expires_at: datetime
) -> PasskeyRequest | None:
    """WhatsApp accepted the answer and shows ``code`` to match on the phone."""
    return await _one(
        conn,
        "UPDATE wa_passkey_requests SET status = 'confirming', confirmation_code = %(c)s,"
        " confirmation_expires_at = %(exp)s, updated_at = now()"
        " WHERE id = %(id)s AND status IN ('answered', 'confirming') RETURNING *",
        {"id": request_id, "c": code, "exp": expires_at},
    )


async def worker_end(
    conn: Conn,
    *,
    request_id: UUID,
    status: str,
    reason: str | None = None,
    from_statuses: Sequence[str] = OPEN_PASSKEY_STATUSES,
) -> PasskeyRequest | None:
    """Close the request as ``status``, if it is still in one of ``from_statuses``."""
    return await _one(
        conn,
        "UPDATE wa_passkey_requests SET status = %(s)s, ended_reason = %(r)s, updated_at = now()"
        " WHERE id = %(id)s AND status = ANY(%(from)s) RETURNING *",
        {"id": request_id, "s": status, "r": reason, "from": list(from_statuses)},
    )


async def worker_get(conn: Conn, *, request_id: UUID) -> PasskeyRequest | None:
    return await _one(
        conn, "SELECT * FROM wa_passkey_requests WHERE id = %(id)s", {"id": request_id}
    )


# --- gateway -------------------------------------------------------------------------------


async def current(conn: Conn, *, company_id: UUID, session_id: UUID) -> PasskeyRequest | None:
    """The session's open request (pending, answered or confirming), if any."""
    return await _one(
        conn,
        "SELECT r.* FROM wa_passkey_requests r WHERE r.status = ANY(%(open)s)" + _OF_COMPANY,
        {"open": list(OPEN_PASSKEY_STATUSES), "sid": session_id, "cid": company_id},
    )


async def get(
    conn: Conn, *, company_id: UUID, session_id: UUID, request_id: UUID
) -> PasskeyRequest | None:
    return await _one(
        conn,
        "SELECT r.* FROM wa_passkey_requests r WHERE r.id = %(id)s" + _OF_COMPANY,
        {"id": request_id, "sid": session_id, "cid": company_id},
    )


async def claim_answer(
    conn: Conn, *, company_id: UUID, session_id: UUID, request_id: UUID, user_id: UUID
) -> PasskeyRequest | None:
    """Mark a pending request answered by ``user_id``, once and before its deadline; None when
    someone else did first, or it is no longer pending or too late."""
    return await _one(
        conn,
        "UPDATE wa_passkey_requests r SET status = 'answered', answered_by = %(uid)s,"
        " answered_at = now(), updated_at = now()"
        " WHERE r.id = %(id)s AND r.status = 'pending' AND r.expires_at > now()"
        + _OF_COMPANY
        + " RETURNING r.*",
        {"id": request_id, "uid": user_id, "sid": session_id, "cid": company_id},
    )


async def cancel(
    conn: Conn, *, company_id: UUID, session_id: UUID, request_id: UUID
) -> PasskeyRequest | None:
    """Close an open request as cancelled by an admin; None when it is not open."""
    return await _one(
        conn,
        "UPDATE wa_passkey_requests r SET status = 'cancelled',"
        " ended_reason = 'cancelled by an admin', updated_at = now()"
        " WHERE r.id = %(id)s AND r.status = ANY(%(open)s)" + _OF_COMPANY + " RETURNING r.*",
        {
            "id": request_id,
            "open": list(OPEN_PASSKEY_STATUSES),
            "sid": session_id,
            "cid": company_id,
        },
    )
