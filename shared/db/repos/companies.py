"""Companies (tenants)."""

from __future__ import annotations

from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import Company, Conn


async def create(conn: Conn, *, name: str, max_sessions: int = 5) -> Company:
    async with conn.cursor(row_factory=class_row(Company)) as cur:
        await cur.execute(
            "INSERT INTO companies (name, max_sessions) VALUES (%(name)s, %(max)s) RETURNING *",
            {"name": name, "max": max_sessions},
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def get(conn: Conn, *, company_id: UUID) -> Company | None:
    async with conn.cursor(row_factory=class_row(Company)) as cur:
        await cur.execute("SELECT * FROM companies WHERE id = %(id)s", {"id": company_id})
        return await cur.fetchone()


async def get_by_name(conn: Conn, *, name: str) -> Company | None:
    async with conn.cursor(row_factory=class_row(Company)) as cur:
        await cur.execute("SELECT * FROM companies WHERE name = %(n)s LIMIT 1", {"n": name})
        return await cur.fetchone()


async def list_all(conn: Conn) -> list[Company]:
    """Platform-wide listing, for operators and the CLI only."""
    async with conn.cursor(row_factory=class_row(Company)) as cur:
        await cur.execute("SELECT * FROM companies ORDER BY created_at")
        return await cur.fetchall()
