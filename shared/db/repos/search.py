"""Text search over a session's messages (trigram-indexed ILIKE, tenant-checked, newest first)."""

from __future__ import annotations

from dataclasses import fields
from uuid import UUID

from psycopg.rows import dict_row

from shared.db.types import Conn, Message, MessageHit

_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))


def like_pattern(text: str) -> str:
    """``text`` as an ILIKE substring pattern: its own ``%``, ``_`` and ``\\`` match literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def messages(
    conn: Conn, *, company_id: UUID, session_id: UUID, text: str, limit: int, offset: int
) -> tuple[list[MessageHit], int]:
    """One page of the session's messages whose text contains ``text``, plus the total."""
    params = {"cid": company_id, "sid": session_id, "q": like_pattern(text)}
    where = "m.session_id = %(sid)s AND m.body ILIKE %(q)s"
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT m.*, c.name AS chat_name, c.wa_chat_id AS chat_wa_id FROM wa_messages m"
            " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
            " JOIN wa_chats c ON c.id = m.chat_id"
            f" WHERE {where}"
            " ORDER BY m.created_at DESC, m.id DESC LIMIT %(lim)s OFFSET %(off)s",
            {**params, "lim": limit, "off": offset},
        )
        rows = await cur.fetchall()
        await cur.execute(
            "SELECT count(*) AS n FROM wa_messages m"
            " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
            f" WHERE {where}",
            params,
        )
        counted = await cur.fetchone()
    hits = [
        MessageHit(
            message=Message(**{f: r[f] for f in _MESSAGE_FIELDS}),
            chat_name=r["chat_name"],
            wa_chat_id=r["chat_wa_id"],
        )
        for r in rows
    ]
    return hits, int(counted["n"]) if counted else 0
