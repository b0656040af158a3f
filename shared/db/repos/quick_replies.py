"""Quick replies: a company's canned answers (defaults seeded per company by the migration)."""

from __future__ import annotations

from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import Conn, QuickReply


async def list_for_company(conn: Conn, *, company_id: UUID) -> list[QuickReply]:
    async with conn.cursor(row_factory=class_row(QuickReply)) as cur:
        await cur.execute(
            "SELECT * FROM quick_replies WHERE company_id = %(cid)s"
            " ORDER BY lang NULLS FIRST, lower(shortcut), id",
            {"cid": company_id},
        )
        return await cur.fetchall()


async def create(
    conn: Conn, *, company_id: UUID, shortcut: str, body: str, lang: str | None
) -> QuickReply:
    """Raises ``psycopg.errors.UniqueViolation`` when the shortcut is taken (any letter case)."""
    async with conn.cursor(row_factory=class_row(QuickReply)) as cur:
        await cur.execute(
            "INSERT INTO quick_replies (company_id, shortcut, body, lang)"
            " VALUES (%(cid)s, %(shortcut)s, %(body)s, %(lang)s) RETURNING *",
            {"cid": company_id, "shortcut": shortcut, "body": body, "lang": lang},
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def update(
    conn: Conn,
    *,
    company_id: UUID,
    reply_id: UUID,
    shortcut: str | None = None,
    body: str | None = None,
    lang: str | None = None,
    clear_lang: bool = False,
) -> QuickReply | None:
    """Change the given fields; None when the reply is not the company's. Unique as ``create``."""
    async with conn.cursor(row_factory=class_row(QuickReply)) as cur:
        await cur.execute(
            "UPDATE quick_replies SET"
            " shortcut = COALESCE(%(shortcut)s, shortcut),"
            " body = COALESCE(%(body)s, body),"
            " lang = CASE WHEN %(clear)s THEN NULL ELSE COALESCE(%(lang)s, lang) END,"
            " updated_at = now()"
            " WHERE id = %(id)s AND company_id = %(cid)s RETURNING *",
            {
                "shortcut": shortcut,
                "body": body,
                "lang": lang,
                "clear": clear_lang,
                "id": reply_id,
                "cid": company_id,
            },
        )
        return await cur.fetchone()


async def delete(conn: Conn, *, company_id: UUID, reply_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM quick_replies WHERE id = %(id)s AND company_id = %(cid)s",
        {"id": reply_id, "cid": company_id},
    )
    return cur.rowcount > 0
