"""Audit log: one row per admin action."""

from __future__ import annotations

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
