"""Media of messages (wa_message_media) and the blobs they point at (wa_media_blobs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row, tuple_row

from shared.db.types import Conn, MediaBlob, MessageMedia


async def record_blob(conn: Conn, *, company_id: UUID, sha256: str, size: int, mime: str) -> None:
    """The company holds this blob now (once: a second copy only refreshes its last use)."""
    await conn.execute(
        "INSERT INTO wa_media_blobs (company_id, sha256, size, mime) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (company_id, sha256) DO UPDATE SET last_used_at = now()",
        (company_id, sha256, size, mime),
    )


async def capture(
    conn: Conn,
    *,
    message_id: UUID,
    company_id: UUID,
    session_id: UUID,
    kind: str,
    mime: str,
    size: int | None = None,
    file_name: str | None = None,
    duration_s: float | None = None,
    width: int | None = None,
    height: int | None = None,
    thumbnail: bytes | None = None,
    sha256: str | None = None,
    next_attempt_at: datetime | None = None,
) -> MessageMedia:
    """The media row of a message, once (pending; stored when ``sha256`` is given): the row
    already there when the message was seen before. ``next_attempt_at``: when a download is
    due again if the one about to start never ends (a worker gone meanwhile)."""
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "INSERT INTO wa_message_media (message_id, company_id, session_id, kind, mime, size,"
            "  file_name, duration_s, width, height, thumbnail, sha256, status, next_attempt_at)"
            " VALUES (%(mid)s, %(co)s, %(sid)s, %(kind)s, %(mime)s, %(size)s, %(name)s, %(dur)s,"
            "  %(w)s, %(h)s, %(thumb)s, %(sha)s,"
            "  CASE WHEN %(sha)s::text IS NULL THEN 'pending' ELSE 'stored' END,"
            "  CASE WHEN %(sha)s::text IS NULL THEN %(due)s::timestamptz END)"
            " ON CONFLICT (message_id) DO NOTHING RETURNING *",
            {
                "mid": message_id,
                "co": company_id,
                "sid": session_id,
                "kind": kind,
                "mime": mime,
                "size": size,
                "name": file_name,
                "dur": duration_s,
                "w": width,
                "h": height,
                "thumb": thumbnail,
                "sha": sha256,
                "due": next_attempt_at,
            },
        )
        row = await cur.fetchone()
        if row is None:
            await cur.execute("SELECT * FROM wa_message_media WHERE message_id = %s", (message_id,))
            row = await cur.fetchone()
    assert row is not None
    return row


async def mark_stored(
    conn: Conn, *, message_id: UUID, sha256: str, size: int
) -> MessageMedia | None:
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "UPDATE wa_message_media SET sha256 = %s, size = %s, status = 'stored',"
            "  last_error = NULL, next_attempt_at = NULL, updated_at = now()"
            " WHERE message_id = %s RETURNING *",
            (sha256, size, message_id),
        )
        return await cur.fetchone()


async def mark_failed(
    conn: Conn, *, message_id: UUID, error: str, retry_at: datetime | None
) -> MessageMedia | None:
    """A download failed: counted, and tried again at ``retry_at`` (None: only by hand)."""
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "UPDATE wa_message_media SET status = 'failed', attempts = attempts + 1,"
            "  last_error = left(%s, 500), next_attempt_at = %s, updated_at = now()"
            " WHERE message_id = %s AND status <> 'stored' RETURNING *",
            (error, retry_at, message_id),
        )
        return await cur.fetchone()


async def get(conn: Conn, *, company_id: UUID, message_id: UUID) -> MessageMedia | None:
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "SELECT * FROM wa_message_media WHERE message_id = %s AND company_id = %s",
            (message_id, company_id),
        )
        return await cur.fetchone()


async def for_messages(
    conn: Conn, *, company_id: UUID, message_ids: Sequence[UUID]
) -> dict[UUID, MessageMedia]:
    """The media of these messages (those that have one), by message id."""
    if not message_ids:
        return {}
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "SELECT * FROM wa_message_media WHERE company_id = %s AND message_id = ANY(%s)",
            (company_id, list(message_ids)),
        )
        return {row.message_id: row for row in await cur.fetchall()}


async def due_retries(
    conn: Conn, *, session_id: UUID, now: datetime, limit: int
) -> list[MessageMedia]:
    """Media of a session whose next download attempt is due."""
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "SELECT * FROM wa_message_media"
            " WHERE session_id = %s AND status IN ('pending', 'failed')"
            " AND next_attempt_at IS NOT NULL AND next_attempt_at <= %s"
            " ORDER BY next_attempt_at LIMIT %s",
            (session_id, now, limit),
        )
        return list(await cur.fetchall())


async def for_link(conn: Conn, *, session_id: UUID, message_id: UUID) -> MessageMedia | None:
    """The media of a message named by a signed link (the signature stands for the caller: no
    company to scope by)."""
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "SELECT * FROM wa_message_media WHERE message_id = %s AND session_id = %s",
            (message_id, session_id),
        )
        return await cur.fetchone()


async def worker_retry(conn: Conn, *, session_id: UUID, message_id: UUID) -> MessageMedia | None:
    """Download again now (a retry asked for): pending, attempts from zero; a stored or expired
    file stays as it is (None)."""
    async with conn.cursor(row_factory=class_row(MessageMedia)) as cur:
        await cur.execute(
            "UPDATE wa_message_media SET status = 'pending', attempts = 0, last_error = NULL,"
            "  next_attempt_at = now(), updated_at = now()"
            " WHERE message_id = %s AND session_id = %s AND status IN ('pending', 'failed')"
            " RETURNING *",
            (message_id, session_id),
        )
        return await cur.fetchone()


async def blob_of(conn: Conn, *, company_id: UUID, message_id: UUID) -> str | None:
    """The sha256 a message's media points at (None: no media, or not stored)."""
    cur = await conn.execute(
        "SELECT sha256 FROM wa_message_media WHERE message_id = %s AND company_id = %s",
        (message_id, company_id),
    )
    row = await cur.fetchone()
    return None if row is None else row[0]


async def stale_blobs(conn: Conn, *, before: datetime, limit: int) -> list[MediaBlob]:
    """Blobs last used before ``before`` that no message created since then points at: what
    retention may remove."""
    async with conn.cursor(row_factory=class_row(MediaBlob)) as cur:
        await cur.execute(
            "SELECT b.* FROM wa_media_blobs b WHERE b.last_used_at < %(before)s"
            " AND NOT EXISTS (SELECT 1 FROM wa_message_media mm"
            "   JOIN wa_messages m ON m.id = mm.message_id"
            "   WHERE mm.company_id = b.company_id AND mm.sha256 = b.sha256"
            "   AND m.created_at >= %(before)s)"
            " ORDER BY b.last_used_at LIMIT %(limit)s",
            {"before": before, "limit": limit},
        )
        return list(await cur.fetchall())


async def expire_blob(conn: Conn, *, company_id: UUID, sha256: str, before: datetime) -> int:
    """Forget a stale blob and mark the media pointing at it expired, unless it was used again
    since it was found (then nothing changes: -1). Returns how many media rows expired. Run in
    a transaction; the bytes are deleted from the store after it commits."""
    cur = await conn.execute(
        "DELETE FROM wa_media_blobs WHERE company_id = %s AND sha256 = %s AND last_used_at < %s",
        (company_id, sha256, before),
    )
    if cur.rowcount != 1:
        return -1
    cur = await conn.execute(
        "UPDATE wa_message_media SET status = 'expired', updated_at = now()"
        " WHERE company_id = %s AND sha256 = %s AND status = 'stored'",
        (company_id, sha256),
    )
    return cur.rowcount


async def worker_sources(
    conn: Conn, *, session_id: UUID, message_ids: Sequence[UUID]
) -> dict[UUID, tuple[str, str, bool, UUID]]:
    """Where the worker finds these messages' files: (wa_msg_id, the chat's wa id, from me,
    chat id) by message id (messages WhatsApp gave an id)."""
    if not message_ids:
        return {}
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT m.id, m.wa_msg_id, c.wa_chat_id, m.direction = 'out', m.chat_id"
            " FROM wa_messages m JOIN wa_chats c ON c.id = m.chat_id"
            " WHERE m.session_id = %s AND m.id = ANY(%s) AND m.wa_msg_id IS NOT NULL",
            (session_id, list(message_ids)),
        )
        return {row[0]: (row[1], row[2], row[3], row[4]) for row in await cur.fetchall()}
