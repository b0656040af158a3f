"""Webhooks of a company (admin CRUD) and their cursor in the event log: the sender turns every
logged event after the cursor into deliveries (``fan_out``), and a replay moves it back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from psycopg.rows import class_row

from shared.db.types import Conn, Webhook

_NEW_CURSOR = "(SELECT COALESCE(max(last_id), 0) FROM event_counters WHERE company_id = %(cid)s)"


async def create(
    conn: Conn,
    *,
    company_id: UUID,
    url: str,
    description: str,
    event_types: Sequence[str],
    session_ids: Sequence[UUID] | None,
    secret: str,
    enabled: bool,
) -> Webhook:
    """A new webhook gets the events logged from now on (replay reaches earlier ones)."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "INSERT INTO webhooks (company_id, url, description, event_types, session_ids,"
            " secret, enabled, cursor) VALUES (%(cid)s, %(url)s, %(desc)s, %(types)s, %(sids)s,"
            f" %(secret)s, %(enabled)s, {_NEW_CURSOR}) RETURNING *",
            {
                "cid": company_id,
                "url": url,
                "desc": description,
                "types": list(event_types),
                "sids": list(session_ids) if session_ids is not None else None,
                "secret": secret,
                "enabled": enabled,
            },
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def list_for_company(conn: Conn, *, company_id: UUID) -> list[Webhook]:
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "SELECT * FROM webhooks WHERE company_id = %(cid)s ORDER BY created_at, id",
            {"cid": company_id},
        )
        return await cur.fetchall()


async def get(
    conn: Conn, *, company_id: UUID, webhook_id: UUID, lock: bool = False
) -> Webhook | None:
    """With ``lock`` (inside a transaction), it cannot be deleted until the transaction ends."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "SELECT * FROM webhooks WHERE id = %(id)s AND company_id = %(cid)s"
            + (" FOR SHARE" if lock else ""),
            {"id": webhook_id, "cid": company_id},
        )
        return await cur.fetchone()


async def update(
    conn: Conn,
    *,
    company_id: UUID,
    webhook_id: UUID,
    url: str | None = None,
    description: str | None = None,
    event_types: Sequence[str] | None = None,
    session_ids: Sequence[UUID] | None = None,
    all_sessions: bool = False,
    enabled: bool | None = None,
    secret: str | None = None,
) -> Webhook | None:
    """Change what is given (``all_sessions``: drop the session filter). Enabling a disabled
    webhook starts it at the newest event: what was logged while it was off is not sent (a
    replay sends it)."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "UPDATE webhooks SET url = COALESCE(%(url)s, url),"
            " description = COALESCE(%(desc)s, description),"
            " event_types = COALESCE(%(types)s, event_types),"
            " session_ids = CASE WHEN %(all)s THEN NULL"
            "  ELSE COALESCE(%(sids)s::uuid[], session_ids) END,"
            f" cursor = CASE WHEN %(enabled)s AND NOT enabled THEN {_NEW_CURSOR} ELSE cursor END,"
            " enabled = COALESCE(%(enabled)s, enabled),"
            " secret = COALESCE(%(secret)s, secret), updated_at = now()"
            " WHERE id = %(id)s AND company_id = %(cid)s RETURNING *",
            {
                "id": webhook_id,
                "cid": company_id,
                "url": url,
                "desc": description,
                "types": list(event_types) if event_types is not None else None,
                "sids": list(session_ids) if session_ids is not None else None,
                "all": all_sessions,
                "enabled": enabled,
                "secret": secret,
            },
        )
        return await cur.fetchone()


async def delete(conn: Conn, *, company_id: UUID, webhook_id: UUID) -> bool:
    cur = await conn.execute(
        "DELETE FROM webhooks WHERE id = %(id)s AND company_id = %(cid)s",
        {"id": webhook_id, "cid": company_id},
    )
    return cur.rowcount > 0


async def rewind(
    conn: Conn, *, company_id: UUID, webhook_id: UUID, after_id: int
) -> Webhook | None:
    """Replay: the events after ``after_id`` are delivered again (new deliveries, same ids)."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute(
            "UPDATE webhooks SET cursor = %(after)s, updated_at = now()"
            " WHERE id = %(id)s AND company_id = %(cid)s RETURNING *",
            {"id": webhook_id, "cid": company_id, "after": after_id},
        )
        return await cur.fetchone()


# --- the sender's side ---------------------------------------------------------------------


async def behind(conn: Conn) -> list[UUID]:
    """Enabled webhooks whose company logged events after their cursor."""
    cur = await conn.execute(
        "SELECT w.id FROM webhooks w JOIN event_counters c ON c.company_id = w.company_id"
        " WHERE w.enabled AND c.last_id > w.cursor"
    )
    return [r["id"] for r in await cur.fetchall()]


@dataclass(frozen=True, slots=True)
class FanOut:
    scanned: int  # events read after the cursor
    lanes: list[tuple[UUID, UUID]]  # (webhook, session) that got new deliveries


_FAN_OUT = """
WITH w AS (
    SELECT id, company_id, cursor, event_types, session_ids FROM webhooks
     WHERE id = %(id)s AND enabled FOR UPDATE
), ev AS (
    SELECT e.id, e.session_id, e.type FROM event_log e, w
     WHERE e.company_id = w.company_id AND e.id > w.cursor ORDER BY e.id LIMIT %(batch)s
), made AS (
    INSERT INTO webhook_deliveries (webhook_id, company_id, event_id, session_id, event_type)
    SELECT w.id, w.company_id, ev.id, ev.session_id, ev.type FROM w, ev
     WHERE (cardinality(w.event_types) = 0 OR ev.type = ANY(w.event_types))
       AND (w.session_ids IS NULL OR ev.session_id = ANY(w.session_ids))
     ORDER BY ev.id
    RETURNING session_id
), moved AS (
    UPDATE webhooks SET cursor = (SELECT max(id) FROM ev)
      FROM w WHERE webhooks.id = w.id AND EXISTS (SELECT 1 FROM ev)
)
SELECT (SELECT count(*) FROM ev) AS scanned,
       ARRAY(SELECT DISTINCT session_id FROM made) AS sessions
"""


async def fan_out(conn: Conn, *, webhook_id: UUID, batch: int) -> FanOut:
    """Turn up to ``batch`` events after the webhook's cursor into deliveries (those its
    filters take), in event order, and move the cursor past them: one statement."""
    cur = await conn.execute(_FAN_OUT, {"id": webhook_id, "batch": batch})
    row = await cur.fetchone()
    if row is None:
        return FanOut(0, [])
    return FanOut(int(row["scanned"]), [(webhook_id, s) for s in row["sessions"]])


async def every(conn: Conn) -> list[Webhook]:
    """Every webhook of every company (the sender's view of where to deliver)."""
    async with conn.cursor(row_factory=class_row(Webhook)) as cur:
        await cur.execute("SELECT * FROM webhooks ORDER BY id")
        return await cur.fetchall()
