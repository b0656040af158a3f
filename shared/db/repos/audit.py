"""Audit log: one row per admin action."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from shared.db.types import AuditEntry, Conn


async def record(
    conn: Conn,
    *,
    company_id: UUID | None,
    user_id: UUID | None,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (company_id, user_id, action, target, details)"
        " VALUES (%(cid)s, %(uid)s, %(a)s, %(t)s, %(d)s)",
        {"cid": company_id, "uid": user_id, "a": action, "t": target, "d": Jsonb(details or {})},
    )


async def list_for_company(conn: Conn, *, company_id: UUID, limit: int = 100) -> list[AuditEntry]:
    async with conn.cursor(row_factory=class_row(AuditEntry)) as cur:
        await cur.execute(
            "SELECT * FROM audit_log WHERE company_id = %(cid)s ORDER BY at DESC, id DESC"
            " LIMIT %(lim)s",
            {"cid": company_id, "lim": limit},
        )
        return await cur.fetchall()


async def page(
    conn: Conn,
    *,
    company_id: UUID,
    action: str | None,
    user_id: UUID | None,
    target: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEntry], int]:
    """The company's audit rows, newest first; ``action`` ending in ``.`` matches a family
    (``session.`` = every session action)."""
    where = (
        " WHERE company_id = %(cid)s"
        " AND (%(action)s::text IS NULL OR action = %(action)s"
        "  OR (right(%(action)s, 1) = '.' AND starts_with(action, %(action)s)))"
        " AND (%(uid)s::uuid IS NULL OR user_id = %(uid)s)"
        " AND (%(target)s::text IS NULL OR target = %(target)s)"
        " AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)"
        " AND (%(until)s::timestamptz IS NULL OR at < %(until)s)"
    )
    params = {
        "cid": company_id,
        "action": action,
        "uid": user_id,
        "target": target,
        "since": since,
        "until": until,
        "lim": limit,
        "off": offset,
    }
    async with conn.cursor(row_factory=class_row(AuditEntry)) as cur:
        await cur.execute(
            f"SELECT * FROM audit_log{where} ORDER BY at DESC, id DESC"
            " LIMIT %(lim)s OFFSET %(off)s",
            params,
        )
        rows = await cur.fetchall()
    counted = await conn.execute(f"SELECT count(*) AS n FROM audit_log{where}", params)
    total = await counted.fetchone()
    return rows, int(total["n"]) if total else 0
