"""The inbox's searches are served by the trigram indexes of 0005_inbox.sql (the chat search's
expression is the index's, character for character)."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from shared.db.repos.chats import SEARCH_TEXT
from shared.db.repos.search import like_pattern


async def _plan_with_data(pg: AsyncConnectionPool, sql: str, text: str) -> str:
    """The plan of ``sql`` over a session with 3,000 chats and 6,000 messages, one of each
    holding ``text``; all rolled back afterwards."""
    async with pg.connection() as conn, conn.transaction(force_rollback=True):
        cur = await conn.execute(
            "WITH c AS (INSERT INTO companies (name) VALUES ('plan') RETURNING id)"
            " INSERT INTO wa_sessions (company_id, name) SELECT id, 's' FROM c RETURNING id"
        )
        row: Any = await cur.fetchone()
        sid = row["id"]
        await conn.execute(
            "INSERT INTO wa_chats (session_id, wa_chat_id, name) SELECT %(s)s, i || '@c.us',"
            " CASE WHEN i = 7 THEN %(t)s ELSE 'Customer ' || i END FROM generate_series(1, 3000) i",
            {"s": sid, "t": text},
        )
        await conn.execute(
            "INSERT INTO wa_messages (session_id, chat_id, direction, body)"
            " SELECT %(s)s, c.id, 'in', CASE WHEN c.wa_chat_id = '7@c.us' AND g = 1 THEN %(t)s"
            "  ELSE 'hello number ' || g END FROM wa_chats c, generate_series(1, 2) g"
            " WHERE c.session_id = %(s)s",
            {"s": sid, "t": text},
        )
        for index in ("wa_chats_search_trgm_idx", "wa_messages_body_trgm_idx"):
            # what autovacuum does in a live database: merge the rows just added into the index
            await conn.execute("SELECT gin_clean_pending_list(%(i)s::regclass)", {"i": index})
        await conn.execute("ANALYZE wa_chats")
        await conn.execute("ANALYZE wa_messages")
        # still small enough that reading it all is cheapest: make the planner show its index
        await conn.execute("SET LOCAL enable_seqscan = off")
        cur = await conn.execute(f"EXPLAIN {sql}", {"sid": sid, "q": like_pattern(text)})
        rows: list[Any] = await cur.fetchall()
        return "\n".join(str(r["QUERY PLAN"]) for r in rows)


async def test_chat_search_uses_its_index(pg: AsyncConnectionPool) -> None:
    sql = f"SELECT c.id FROM wa_chats c WHERE c.session_id = %(sid)s AND {SEARCH_TEXT} ILIKE %(q)s"
    plan = await _plan_with_data(pg, sql, "Zebra Logistics")
    assert "wa_chats_search_trgm_idx" in plan, plan


async def test_message_search_uses_its_index(pg: AsyncConnectionPool) -> None:
    sql = "SELECT m.id FROM wa_messages m WHERE m.session_id = %(sid)s AND m.body ILIKE %(q)s"
    plan = await _plan_with_data(pg, sql, "zebra invoice")
    assert "wa_messages_body_trgm_idx" in plan, plan


def test_like_pattern_matches_its_text_literally() -> None:
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"
