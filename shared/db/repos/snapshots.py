"""Profile snapshots of a session (portable profiles): written and read by the worker holding the
session's lease, summarised for operators. The sealed bytes are opaque here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row, tuple_row

from shared.db.types import Conn


@dataclass(frozen=True, slots=True)
class SnapshotMeta:
    """What is known of a snapshot without its bytes."""

    id: int
    session_id: UUID
    generation: int
    size_bytes: int
    stored_bytes: int
    sha256: str
    key_id: str
    store: str
    location: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """A session's snapshots as operators see them."""

    session_id: UUID
    generation: int | None  # newest good one
    at: datetime | None
    size_bytes: int | None
    stored_bytes: int | None
    good: int
    refused: int
    last_refused_reason: str | None
    last_refused_at: datetime | None


_META = (
    "id, session_id, generation, size_bytes, stored_bytes, sha256, key_id, store, location,"
    " status, created_at"
)


async def insert(
    conn: Conn,
    *,
    session_id: UUID,
    size_bytes: int,
    sha256: str,
    key_id: str,
    worker_id: str,
    data: bytes | None,
    stored_bytes: int,
    store: str = "postgres",
    location: str | None = None,
) -> SnapshotMeta:
    """The session's next generation (one more than any it had, refused ones included)."""
    async with conn.cursor(row_factory=class_row(SnapshotMeta)) as cur:
        await cur.execute(
            "INSERT INTO wa_profile_snapshots (session_id, generation, size_bytes, stored_bytes,"
            " sha256, key_id, store, location, data, worker_id)"
            " SELECT %(sid)s, COALESCE(MAX(generation), 0) + 1, %(size)s, %(stored)s, %(sha)s,"
            " %(key)s, %(store)s, %(location)s, %(data)s, %(worker)s"
            " FROM wa_profile_snapshots WHERE session_id = %(sid)s"
            f" RETURNING {_META}",
            {
                "sid": session_id,
                "size": size_bytes,
                "stored": stored_bytes,
                "sha": sha256,
                "key": key_id,
                "store": store,
                "location": location,
                "data": data,
                "worker": worker_id,
            },
        )
        row = await cur.fetchone()
    assert row is not None  # INSERT ... SELECT of an aggregate always yields one row
    return row


async def good(conn: Conn, *, session_id: UUID, limit: int) -> list[SnapshotMeta]:
    """The newest good snapshots first."""
    async with conn.cursor(row_factory=class_row(SnapshotMeta)) as cur:
        await cur.execute(
            f"SELECT {_META} FROM wa_profile_snapshots"
            " WHERE session_id = %(sid)s AND status = 'good'"
            " ORDER BY generation DESC LIMIT %(limit)s",
            {"sid": session_id, "limit": limit},
        )
        return await cur.fetchall()


async def data(conn: Conn, *, snapshot_id: int) -> bytes | None:
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT data FROM wa_profile_snapshots WHERE id = %(id)s", {"id": snapshot_id}
        )
        row = await cur.fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


async def refuse(conn: Conn, *, snapshot_id: int, reason: str) -> bool:
    """Mark a snapshot unusable; False when it was already refused (or is gone)."""
    cur = await conn.execute(
        "UPDATE wa_profile_snapshots SET status = 'refused', refused_reason = %(reason)s,"
        " refused_at = now() WHERE id = %(id)s AND status = 'good'",
        {"id": snapshot_id, "reason": reason},
    )
    return cur.rowcount == 1


async def prune(conn: Conn, *, session_id: UUID, keep: int) -> list[SnapshotMeta]:
    """Keep the newest ``keep`` good snapshots and the refused ones newer than the oldest kept;
    return what was deleted (a store keeping bytes elsewhere deletes those too)."""
    async with conn.cursor(row_factory=class_row(SnapshotMeta)) as cur:
        await cur.execute(
            "WITH kept AS (SELECT generation FROM wa_profile_snapshots"
            "  WHERE session_id = %(sid)s AND status = 'good'"
            "  ORDER BY generation DESC LIMIT %(keep)s),"
            " floor AS (SELECT COALESCE(MIN(generation), 0) AS g FROM kept)"
            " DELETE FROM wa_profile_snapshots s USING floor"
            " WHERE s.session_id = %(sid)s AND s.generation < floor.g"
            f" RETURNING {', '.join('s.' + c.strip() for c in _META.split(','))}",
            {"sid": session_id, "keep": keep},
        )
        return await cur.fetchall()


async def summaries(conn: Conn) -> dict[UUID, SnapshotSummary]:
    """Every session's snapshots, for operators (no bytes)."""
    async with conn.cursor(row_factory=class_row(SnapshotSummary)) as cur:
        await cur.execute(
            "SELECT session_id,"
            " MAX(generation) FILTER (WHERE status = 'good') AS generation,"
            " MAX(created_at) FILTER (WHERE status = 'good') AS at,"
            " (ARRAY_AGG(size_bytes ORDER BY generation DESC)"
            "   FILTER (WHERE status = 'good'))[1] AS size_bytes,"
            " (ARRAY_AGG(stored_bytes ORDER BY generation DESC)"
            "   FILTER (WHERE status = 'good'))[1] AS stored_bytes,"
            " COUNT(*) FILTER (WHERE status = 'good') AS good,"
            " COUNT(*) FILTER (WHERE status = 'refused') AS refused,"
            " (ARRAY_AGG(refused_reason ORDER BY refused_at DESC NULLS LAST)"
            "   FILTER (WHERE status = 'refused'))[1] AS last_refused_reason,"
            " MAX(refused_at) AS last_refused_at"
            " FROM wa_profile_snapshots GROUP BY session_id"
        )
        return {row.session_id: row for row in await cur.fetchall()}
