"""The event log: every domain event, per company, with ids 1, 2, 3... in commit order.

``append`` runs inside the transaction of the change the events describe and takes the company's
counter row; the row stays locked until that transaction ends, so ids commit in order and
without gaps. Readers (gateways, the webhook sender, resuming sockets) ask for "after id N".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.types.json import Jsonb

from shared import events
from shared.db.types import Conn

_APPEND = """
WITH owner AS (
    SELECT company_id FROM wa_sessions WHERE id = %(sid)s AND company_id = %(cid)s
), counter AS (
    INSERT INTO event_counters AS c (company_id, last_id)
    SELECT company_id, %(n)s FROM owner
    ON CONFLICT (company_id) DO UPDATE SET last_id = c.last_id + %(n)s
    RETURNING c.company_id, c.last_id
)
INSERT INTO event_log (company_id, id, session_id, type, payload)
SELECT counter.company_id, counter.last_id - %(n)s + e.ord, %(sid)s, e.type, e.payload
  FROM counter, unnest(%(types)s::text[], %(payloads)s::jsonb[]) WITH ORDINALITY
       AS e(type, payload, ord)
RETURNING id
"""


class UnknownSession(LookupError):
    """The events name a session that does not exist, or that another company owns."""


async def append(conn: Conn, batch: Sequence[events.Event]) -> list[events.Event]:
    """Log the events (all of one session) in the caller's transaction; returns them with their
    ids. Call it last in the transaction: the company's counter stays locked until the commit."""
    if not batch:
        return []
    first = batch[0]
    if any((e.session_id, e.company_id) != (first.session_id, first.company_id) for e in batch):
        raise ValueError("one append logs the events of one session")
    cur = await conn.execute(
        _APPEND,
        {
            "sid": first.session_id,
            "cid": first.company_id,
            "n": len(batch),
            "types": [e.type for e in batch],
            "payloads": [Jsonb(events.log_payload(e)) for e in batch],
        },
    )
    ids = sorted(int(r["id"]) for r in await cur.fetchall())
    if len(ids) != len(batch):
        raise UnknownSession(
            f"session {first.session_id} does not exist or is not company {first.company_id}'s"
        )
    return [events.with_id(e, i) for e, i in zip(batch, ids, strict=True)]


async def after(
    conn: Conn, *, company_id: UUID, after_id: int, limit: int, upto: int | None = None
) -> list[events.Event]:
    """The company's events with ids above ``after_id`` (and at most ``upto``), in order."""
    cur = await conn.execute(
        "SELECT id, payload FROM event_log WHERE company_id = %(cid)s AND id > %(after)s"
        " AND (%(upto)s::bigint IS NULL OR id <= %(upto)s) ORDER BY id LIMIT %(lim)s",
        {"cid": company_id, "after": after_id, "upto": upto, "lim": limit},
    )
    return [events.from_log(r["payload"], int(r["id"])) for r in await cur.fetchall()]


async def get(conn: Conn, *, company_id: UUID, event_id: int) -> events.Event | None:
    cur = await conn.execute(
        "SELECT id, payload FROM event_log WHERE company_id = %(cid)s AND id = %(id)s",
        {"cid": company_id, "id": event_id},
    )
    row = await cur.fetchone()
    return events.from_log(row["payload"], int(row["id"])) if row else None


@dataclass(frozen=True, slots=True)
class Position:
    last_id: int  # the company's newest event id (0: none yet)
    pruned_through: int  # ids up to this one may be gone


async def position(conn: Conn, *, company_id: UUID) -> Position:
    cur = await conn.execute(
        "SELECT last_id, pruned_through FROM event_counters WHERE company_id = %(cid)s",
        {"cid": company_id},
    )
    row = await cur.fetchone()
    if row is None:
        return Position(0, 0)
    return Position(int(row["last_id"]), int(row["pruned_through"]))


async def heads(conn: Conn, *, company_ids: Sequence[UUID]) -> dict[UUID, int]:
    """The newest event id of each company that has logged any."""
    cur = await conn.execute(
        "SELECT company_id, last_id FROM event_counters WHERE company_id = ANY(%(ids)s)",
        {"ids": list(company_ids)},
    )
    return {r["company_id"]: int(r["last_id"]) for r in await cur.fetchall()}


_PRUNE = """
WITH gone AS (
    DELETE FROM event_log WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM event_log WHERE at < %(before)s LIMIT %(batch)s))
    RETURNING company_id, id
), marks AS (
    SELECT company_id, max(id) AS upto FROM gone GROUP BY company_id
), marked AS (
    UPDATE event_counters c SET pruned_through = GREATEST(c.pruned_through, m.upto)
      FROM marks m WHERE c.company_id = m.company_id
)
SELECT count(*) AS n FROM gone
"""


async def prune(conn: Conn, *, before: datetime, batch: int) -> int:
    """Delete up to ``batch`` events logged before ``before`` (one short statement; call it
    until it returns less than ``batch``); resuming from an id at or below a pruned one then
    answers "resync required"."""
    cur = await conn.execute(_PRUNE, {"before": before, "batch": batch})
    row = await cur.fetchone()
    return int(row["n"]) if row else 0
