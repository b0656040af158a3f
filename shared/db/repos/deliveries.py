"""Webhook deliveries and their attempts: the delivery log (admin API), manual redelivery, and
the sender's reads and writes (lanes of pending deliveries, outcomes written in batches)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from shared.db.types import Attempt, Conn, Delivery


async def page(
    conn: Conn,
    *,
    company_id: UUID,
    webhook_id: UUID,
    status: str | None,
    event_id: int | None,
    session_id: UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[Delivery], int]:
    """The webhook's deliveries, newest first."""
    where = (
        " WHERE webhook_id = %(wid)s AND company_id = %(cid)s"
        " AND (%(status)s::text IS NULL OR status = %(status)s)"
        " AND (%(eid)s::bigint IS NULL OR event_id = %(eid)s)"
        " AND (%(sid)s::uuid IS NULL OR session_id = %(sid)s)"
    )
    params = {
        "wid": webhook_id,
        "cid": company_id,
        "status": status,
        "eid": event_id,
        "sid": session_id,
        "lim": limit,
        "off": offset,
    }
    async with conn.cursor(row_factory=class_row(Delivery)) as cur:
        await cur.execute(
            f"SELECT * FROM webhook_deliveries{where} ORDER BY id DESC"
            " LIMIT %(lim)s OFFSET %(off)s",
            params,
        )
        rows = await cur.fetchall()
    counted = await conn.execute(f"SELECT count(*) AS n FROM webhook_deliveries{where}", params)
    total = await counted.fetchone()
    return rows, int(total["n"]) if total else 0


async def get(
    conn: Conn, *, company_id: UUID, webhook_id: UUID, delivery_id: int
) -> Delivery | None:
    async with conn.cursor(row_factory=class_row(Delivery)) as cur:
        await cur.execute(
            "SELECT * FROM webhook_deliveries WHERE id = %(id)s AND webhook_id = %(wid)s"
            " AND company_id = %(cid)s",
            {"id": delivery_id, "wid": webhook_id, "cid": company_id},
        )
        return await cur.fetchone()


async def attempts(conn: Conn, *, delivery_id: int) -> list[Attempt]:
    async with conn.cursor(row_factory=class_row(Attempt)) as cur:
        await cur.execute(
            "SELECT * FROM webhook_attempts WHERE delivery_id = %(id)s ORDER BY attempt",
            {"id": delivery_id},
        )
        return await cur.fetchall()


async def redeliver(
    conn: Conn, *, company_id: UUID, webhook_id: UUID, delivery_id: int
) -> Delivery | None:
    """A new pending delivery of the same event (same eventId), after what its lane has."""
    async with conn.cursor(row_factory=class_row(Delivery)) as cur:
        await cur.execute(
            "INSERT INTO webhook_deliveries (webhook_id, company_id, event_id, session_id,"
            " event_type, redelivery) SELECT webhook_id, company_id, event_id, session_id,"
            " event_type, true FROM webhook_deliveries WHERE id = %(id)s"
            " AND webhook_id = %(wid)s AND company_id = %(cid)s RETURNING *",
            {"id": delivery_id, "wid": webhook_id, "cid": company_id},
        )
        return await cur.fetchone()


# --- the sender's side ---------------------------------------------------------------------


async def pending_lanes(conn: Conn) -> list[tuple[UUID, UUID]]:
    """Every (webhook, session) with pending deliveries."""
    cur = await conn.execute(
        "SELECT DISTINCT webhook_id, session_id FROM webhook_deliveries WHERE status = 'pending'"
    )
    return [(r["webhook_id"], r["session_id"]) for r in await cur.fetchall()]


@dataclass(frozen=True, slots=True)
class Queued:
    """A pending delivery with its event as the log keeps it (None: pruned meanwhile)."""

    delivery: Delivery
    payload: dict[str, Any] | None


async def lane(
    conn: Conn, *, webhook_id: UUID, session_id: UUID, after_id: int, limit: int
) -> list[Queued]:
    """The lane's pending deliveries after ``after_id``, in order, with their events."""
    cur = await conn.execute(
        "SELECT d.*, e.payload AS event_payload FROM webhook_deliveries d"
        " LEFT JOIN event_log e ON e.company_id = d.company_id AND e.id = d.event_id"
        " WHERE d.webhook_id = %(wid)s AND d.session_id = %(sid)s AND d.status = 'pending'"
        " AND d.id > %(after)s ORDER BY d.id LIMIT %(lim)s",
        {"wid": webhook_id, "sid": session_id, "after": after_id, "lim": limit},
    )
    out = []
    for row in await cur.fetchall():
        payload = row.pop("event_payload")
        out.append(Queued(Delivery(**row), payload))
    return out


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt and where it leaves its delivery."""

    delivery_id: int
    attempt: int
    at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None
    status: str  # delivered | pending (retry at next_attempt_at) | dead
    next_attempt_at: datetime | None = None


_RECORD = """
WITH o AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(attempt)s::int[], %(at)s::timestamptz[],
                         %(code)s::int[], %(latency)s::int[], %(error)s::text[],
                         %(status)s::text[], %(next)s::timestamptz[])
        AS o(id, attempt, at, code, latency, error, status, next_at)
), written AS (
    UPDATE webhook_deliveries d
       SET status = o.status, attempts = o.attempt, last_attempt_at = o.at,
           response_code = o.code, latency_ms = o.latency, error = o.error,
           next_attempt_at = COALESCE(o.next_at, d.next_attempt_at),
           finished_at = CASE WHEN o.status = 'pending' THEN NULL ELSE o.at END
      FROM o WHERE d.id = o.id
    RETURNING d.id
)
INSERT INTO webhook_attempts (delivery_id, attempt, at, response_code, latency_ms, error)
SELECT o.id, o.attempt, o.at, o.code, o.latency, o.error FROM o JOIN written w ON w.id = o.id
ON CONFLICT DO NOTHING
"""


async def record(conn: Conn, outcomes: Sequence[Outcome]) -> None:
    """Write a batch of outcomes (one statement). A delivery whose webhook was deleted
    meanwhile is skipped."""
    if not outcomes:
        return
    params = {
        "ids": [o.delivery_id for o in outcomes],
        "attempt": [o.attempt for o in outcomes],
        "at": [o.at for o in outcomes],
        "code": [o.response_code for o in outcomes],
        "latency": [o.latency_ms for o in outcomes],
        "error": [o.error for o in outcomes],
        "status": [o.status for o in outcomes],
        "next": [o.next_attempt_at for o in outcomes],
    }
    try:
        await conn.execute(_RECORD, params)
    except psycopg.errors.ForeignKeyViolation:  # deleted between the update and the insert
        for one in outcomes if len(outcomes) > 1 else ():
            await record(conn, [one])


_PRUNE = """
WITH gone AS (
    DELETE FROM webhook_deliveries WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM webhook_deliveries
         WHERE created_at < %(before)s AND status <> 'pending' LIMIT %(batch)s))
    RETURNING 1
)
SELECT count(*) AS n FROM gone
"""


async def prune(conn: Conn, *, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` finished deliveries made before ``before`` (attempts go with
    them); call until it returns less than ``batch``."""
    cur = await conn.execute(_PRUNE, {"before": before, "batch": batch})
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
