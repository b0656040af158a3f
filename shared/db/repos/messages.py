"""Messages: inbound ones upserted by wa id, outgoing ones created idempotently by client id."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row, dict_row, tuple_row

from shared.db.repos.access import READABLE_BY_VIEWER
from shared.db.repos.chats import one_chat
from shared.db.types import Chat, Conn, Message
from shared.payloads import MESSAGE_COLUMNS, MESSAGE_KEYS, wire_row

# status only moves forward; 'failed' is terminal for a pending message
_STATUS_RANK = (
    "CASE %(st)s WHEN 'pending' THEN 0 WHEN 'unconfirmed' THEN 1 WHEN 'sent' THEN 2"
    " WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE -1 END"
)
_ROW_RANK = (
    "CASE m.status WHEN 'pending' THEN 0 WHEN 'unconfirmed' THEN 1 WHEN 'sent' THEN 2"
    " WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 9 END"
)


async def _insert_once(
    conn: Conn, insert: str, select_existing: str, params: dict[str, object]
) -> tuple[Message, bool]:
    """``insert`` (ON CONFLICT DO NOTHING RETURNING *), else the row already there:
    (row, created_now). Both statements take the same parameters."""
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(insert, params)
        row = await cur.fetchone()
        if row is not None:
            return row, True
        await cur.execute(select_existing, params)
        existing = await cur.fetchone()
    assert existing is not None
    return existing, False


async def worker_upsert_observed(
    conn: Conn,
    *,
    session_id: UUID,
    chat_id: UUID,
    wa_msg_id: str,
    direction: str,
    sender: str | None,
    body: str,
    msg_type: str = "text",
    status: str,
    wa_timestamp: datetime | None,
) -> tuple[Message, bool]:
    """Store a message seen on the page once; return (row, created_now)."""
    return await _insert_once(
        conn,
        "INSERT INTO wa_messages (session_id, chat_id, wa_msg_id, direction, sender, body,"
        "  type, status, wa_timestamp)"
        " VALUES (%(sid)s, %(cid)s, %(wid)s, %(dir)s, %(sender)s, %(body)s, %(type)s,"
        "  %(st)s, %(ts)s)"
        " ON CONFLICT (session_id, wa_msg_id) DO NOTHING RETURNING *",
        "SELECT * FROM wa_messages WHERE session_id = %(sid)s AND wa_msg_id = %(wid)s",
        {
            "sid": session_id,
            "cid": chat_id,
            "wid": wa_msg_id,
            "dir": direction,
            "sender": sender,
            "body": body,
            "type": msg_type,
            "st": status,
            "ts": wa_timestamp,
        },
    )


async def create_outgoing(
    conn: Conn,
    *,
    session_id: UUID,
    chat_id: UUID,
    client_msg_id: str,
    body: str,
    sent_by_user_id: UUID | None,
    msg_type: str = "text",
) -> tuple[Message, bool]:
    """A pending outgoing message (``msg_type``: text, or a media kind whose caption is
    ``body``); the same ``client_msg_id`` returns the first row again."""
    return await _insert_once(
        conn,
        "INSERT INTO wa_messages (session_id, chat_id, client_msg_id, direction, body, type,"
        "  status, sent_by_user_id)"
        " VALUES (%(sid)s, %(cid)s, %(cmid)s, 'out', %(body)s, %(type)s, 'pending', %(uid)s)"
        " ON CONFLICT (session_id, client_msg_id) DO NOTHING RETURNING *",
        "SELECT * FROM wa_messages WHERE session_id = %(sid)s AND client_msg_id = %(cmid)s",
        {
            "sid": session_id,
            "cid": chat_id,
            "cmid": client_msg_id,
            "body": body,
            "type": msg_type,
            "uid": sent_by_user_id,
        },
    )


async def worker_get(conn: Conn, *, session_id: UUID, message_id: UUID) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT * FROM wa_messages WHERE id = %(id)s AND session_id = %(sid)s",
            {"id": message_id, "sid": session_id},
        )
        return await cur.fetchone()


async def worker_mark_sent(
    conn: Conn, *, session_id: UUID, message_id: UUID, wa_msg_id: str | None
) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "UPDATE wa_messages SET wa_msg_id = COALESCE(%(wid)s, wa_msg_id), error = NULL,"
            " status = CASE WHEN status IN ('pending', 'unconfirmed', 'failed') THEN 'sent'"
            "   ELSE status END"
            " WHERE id = %(id)s AND session_id = %(sid)s RETURNING *",
            {"wid": wa_msg_id, "id": message_id, "sid": session_id},
        )
        return await cur.fetchone()


async def worker_mark_failed(
    conn: Conn, *, session_id: UUID, message_id: UUID, error: str
) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "UPDATE wa_messages SET status = 'failed', error = %(err)s"
            " WHERE id = %(id)s AND session_id = %(sid)s AND status = 'pending' RETURNING *",
            {"err": error, "id": message_id, "sid": session_id},
        )
        return await cur.fetchone()


async def worker_mark_unconfirmed(
    conn: Conn, *, session_id: UUID, message_id: UUID
) -> Message | None:
    """Typed and sent on the page, but its row was not seen in time: never re-sent."""
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "UPDATE wa_messages SET status = 'unconfirmed', error = NULL"
            " WHERE id = %(id)s AND session_id = %(sid)s AND status = 'pending' RETURNING *",
            {"id": message_id, "sid": session_id},
        )
        return await cur.fetchone()


async def worker_list_unconfirmed(conn: Conn, *, session_id: UUID) -> list[Message]:
    """The session's sends still waiting for their row on the page, oldest first."""
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT * FROM wa_messages WHERE session_id = %(sid)s AND status = 'unconfirmed'"
            " ORDER BY created_at, id",
            {"sid": session_id},
        )
        return await cur.fetchall()


async def worker_get_by_wa_id(conn: Conn, *, session_id: UUID, wa_msg_id: str) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT * FROM wa_messages WHERE session_id = %(sid)s AND wa_msg_id = %(wid)s",
            {"sid": session_id, "wid": wa_msg_id},
        )
        return await cur.fetchone()


async def worker_advance_ack(
    conn: Conn, *, session_id: UUID, wa_msg_id: str, status: str
) -> Message | None:
    """Move an outgoing message's status forward (never back); None when nothing changed."""
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            f"UPDATE wa_messages m SET status = %(st)s WHERE m.session_id = %(sid)s"
            f" AND m.wa_msg_id = %(wid)s AND {_ROW_RANK} < {_STATUS_RANK} RETURNING m.*",
            {"st": status, "sid": session_id, "wid": wa_msg_id},
        )
        return await cur.fetchone()


async def list_for_chat(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    chat_id: UUID,
    limit: int,
    offset: int = 0,
    before: UUID | None = None,
) -> list[Message]:
    """Newest first; ``before`` is a message id cursor (strictly older than that message)."""
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT m.* FROM wa_messages m"
            " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
            " LEFT JOIN wa_messages b ON b.id = %(before)s AND b.chat_id = m.chat_id"
            " WHERE m.session_id = %(sid)s AND m.chat_id = %(chat)s"
            "  AND (%(before)s::uuid IS NULL OR (m.created_at, m.id) < (b.created_at, b.id))"
            " ORDER BY m.created_at DESC, m.id DESC LIMIT %(lim)s OFFSET %(off)s",
            {
                "cid": company_id,
                "sid": session_id,
                "chat": chat_id,
                "before": before,
                "lim": limit,
                "off": offset,
            },
        )
        return await cur.fetchall()


@dataclass(frozen=True, slots=True)
class MessageRows:
    chat_id: UUID | None  # None: no such chat in the session
    cursor_found: bool  # the ``before`` message is in this chat (True without one)
    messages: list[dict[str, Any]]  # MessagePayload's JSON objects (shared/payloads.py)
    total: int  # how many this cursor can page through (-1: no row on this page, not counted)


async def page_for_viewer(
    conn: Conn,
    *,
    company_id: UUID,
    session_id: UUID,
    viewer: UUID | None,
    chat: UUID | str,
    limit: int,
    offset: int = 0,
    before: UUID | None = None,
) -> MessageRows | None:
    """One page of a chat's messages, newest first, as JSON objects, with the total, in one
    round trip that also checks that the session is the company's and readable by ``viewer``
    (``access.READABLE_BY_VIEWER``; None when it is not) and finds the chat by our id or any
    WhatsApp id of it (``chats.one_chat``); ``before`` is a message id cursor as in
    ``list_for_chat``."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT c.id, b.id IS NOT NULL, p.* FROM wa_sessions s"
            f" LEFT JOIN LATERAL ({one_chat(isinstance(chat, str))}) c ON true"
            " LEFT JOIN wa_messages b ON b.id = %(before)s AND b.chat_id = c.id"
            " LEFT JOIN LATERAL ("
            f"  SELECT count(*) OVER () AS total, {', '.join(MESSAGE_COLUMNS)}"
            "   FROM wa_messages m WHERE m.chat_id = c.id"
            "   AND (%(before)s::uuid IS NULL OR (m.created_at, m.id) < (b.created_at, b.id))"
            "   ORDER BY m.created_at DESC, m.id DESC LIMIT %(lim)s OFFSET %(off)s) p ON true"
            f" WHERE s.id = %(sid)s AND s.company_id = %(cid)s AND {READABLE_BY_VIEWER}",
            {
                "cid": company_id,
                "sid": session_id,
                "viewer": viewer,
                "ref": chat,
                "before": before,
                "lim": limit,
                "off": offset,
            },
        )
        raw = await cur.fetchall()
    if not raw:
        return None
    chat_id, cursor_found, total = raw[0][0], bool(raw[0][1]) or before is None, raw[0][2]
    if total is None:
        return MessageRows(chat_id, cursor_found, [], -1)
    rows = [wire_row(MESSAGE_KEYS, r[3:]) for r in raw]
    return MessageRows(chat_id, cursor_found, rows, int(total))


async def count_for_chat(conn: Conn, *, company_id: UUID, session_id: UUID, chat_id: UUID) -> int:
    cur = await conn.execute(
        "SELECT count(*) AS n FROM wa_messages m"
        " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
        " WHERE m.session_id = %(sid)s AND m.chat_id = %(chat)s",
        {"cid": company_id, "sid": session_id, "chat": chat_id},
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def get(
    conn: Conn, *, company_id: UUID, session_id: UUID, message_id: UUID
) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT m.* FROM wa_messages m"
            " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
            " WHERE m.id = %(id)s AND m.session_id = %(sid)s",
            {"cid": company_id, "sid": session_id, "id": message_id},
        )
        return await cur.fetchone()


async def worker_adopt_sent(
    conn: Conn, *, session_id: UUID, message_id: UUID, wa_msg_id: str
) -> Message | None:
    """After a crash between typing and recording: claim the row found on the page.

    A copy of that row stored meanwhile as "observed" (no client id) is folded into this message.
    Returns None when the row already belongs to another of our sends (then it is not this one).
    """
    async with conn.transaction():  # one unit, whether or not the caller is in one
        cur = await conn.execute(
            "SELECT id, client_msg_id FROM wa_messages"
            " WHERE session_id = %(sid)s AND wa_msg_id = %(wid)s AND id <> %(id)s",
            {"sid": session_id, "wid": wa_msg_id, "id": message_id},
        )
        other = await cur.fetchone()
        if other is not None and other["client_msg_id"] is not None:
            return None
        if other is not None:
            await conn.execute("DELETE FROM wa_messages WHERE id = %(id)s", {"id": other["id"]})
        return await worker_mark_sent(
            conn, session_id=session_id, message_id=message_id, wa_msg_id=wa_msg_id
        )


async def count_for_chat_before(
    conn: Conn, *, company_id: UUID, session_id: UUID, chat_id: UUID, before: UUID | None
) -> int:
    """How many messages ``list_for_chat`` can page through with this cursor."""
    cur = await conn.execute(
        "SELECT count(*) AS n FROM wa_messages m"
        " JOIN wa_sessions s ON s.id = m.session_id AND s.company_id = %(cid)s"
        " LEFT JOIN wa_messages b ON b.id = %(before)s AND b.chat_id = m.chat_id"
        " WHERE m.session_id = %(sid)s AND m.chat_id = %(chat)s"
        "  AND (%(before)s::uuid IS NULL OR (m.created_at, m.id) < (b.created_at, b.id))",
        {"cid": company_id, "sid": session_id, "chat": chat_id, "before": before},
    )
    row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def worker_last_per_chat(
    conn: Conn, *, session_id: UUID, limit: int
) -> list[tuple[Chat, str, datetime]]:
    """The last stored message (WhatsApp id, WhatsApp time) of each of the ``limit`` chats with
    the latest activity: where a catch-up of what came while the worker was away starts."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT c.*, m.wa_msg_id AS last_wa_msg_id, m.at AS last_at"
            " FROM wa_chats c"
            " JOIN LATERAL (SELECT wa_msg_id, COALESCE(wa_timestamp, created_at) AS at"
            "   FROM wa_messages WHERE chat_id = c.id AND wa_msg_id IS NOT NULL"
            "   ORDER BY created_at DESC, id DESC LIMIT 1) m ON true"
            " WHERE c.session_id = %(sid)s"
            " ORDER BY c.last_message_at DESC NULLS LAST, c.id LIMIT %(limit)s",
            {"sid": session_id, "limit": limit},
        )
        rows = await cur.fetchall()
    names = [f.name for f in fields(Chat)]
    return [(Chat(**{n: r[n] for n in names}), r["last_wa_msg_id"], r["last_at"]) for r in rows]


async def get_by_client_id(conn: Conn, *, session_id: UUID, client_msg_id: str) -> Message | None:
    async with conn.cursor(row_factory=class_row(Message)) as cur:
        await cur.execute(
            "SELECT * FROM wa_messages WHERE session_id = %s AND client_msg_id = %s",
            (session_id, client_msg_id),
        )
        return await cur.fetchone()
