"""Dashboard figures: sessions, chats, and messages per day, for a company or a manager's view."""

from __future__ import annotations

from uuid import UUID

from shared.db.types import Conn, DayCount, Stats

# the sessions counted: all of the company's, only those the manager may read, or only those
# an API key is limited to
_SCOPE = (
    "WITH scope AS (SELECT s.id, s.state FROM wa_sessions s WHERE s.company_id = %(cid)s"
    " AND (%(mid)s::uuid IS NULL OR EXISTS (SELECT 1 FROM wa_manager_access a"
    "  WHERE a.session_id = s.id AND a.manager_id = %(mid)s AND a.can_read))"
    " AND (%(sids)s::uuid[] IS NULL OR s.id = ANY(%(sids)s)))"
)
# calendar days in UTC; a message counts on the day WhatsApp stamped it (else when stored)
_TODAY = "(now() AT TIME ZONE 'UTC')::date"
_AT = "COALESCE(m.wa_timestamp, m.created_at)"


async def summary(
    conn: Conn,
    *,
    company_id: UUID,
    manager_id: UUID | None = None,
    session_ids: list[UUID] | None = None,
    days: int = 30,
) -> Stats:
    """Figures over the last ``days`` UTC days including today; per-day list is zero-filled."""
    params = {"cid": company_id, "mid": manager_id, "sids": session_ids, "days": days}
    cur = await conn.execute(
        f"{_SCOPE} SELECT (SELECT count(*) FROM scope) AS total,"
        " (SELECT count(*) FROM scope WHERE state = 'ready') AS active,"
        " (SELECT count(*) FROM wa_chats c WHERE c.session_id IN (SELECT id FROM scope)) AS chats",
        params,
    )
    head = await cur.fetchone()
    assert head is not None
    cur = await conn.execute(
        f"{_SCOPE}, days AS (SELECT generate_series({_TODAY} - (%(days)s - 1), {_TODAY},"
        "  interval '1 day')::date AS day),"
        " counts AS (SELECT"
        f"  ({_AT} AT TIME ZONE 'UTC')::date AS day,"
        "  count(*) FILTER (WHERE m.direction = 'in') AS incoming,"
        "  count(*) FILTER (WHERE m.direction = 'out') AS outgoing"
        "  FROM wa_messages m WHERE m.session_id IN (SELECT id FROM scope)"
        f"  AND {_AT} >= ({_TODAY} - (%(days)s - 1))::timestamp AT TIME ZONE 'UTC'"
        "  GROUP BY 1)"
        " SELECT d.day, COALESCE(c.incoming, 0) AS incoming, COALESCE(c.outgoing, 0) AS outgoing"
        " FROM days d LEFT JOIN counts c ON c.day = d.day ORDER BY d.day",
        params,
    )
    per_day = [
        DayCount(day=r["day"], incoming=int(r["incoming"]), outgoing=int(r["outgoing"]))
        for r in await cur.fetchall()
    ]
    return Stats(
        total_sessions=int(head["total"]),
        active_sessions=int(head["active"]),
        chats=int(head["chats"]),
        incoming=sum(d.incoming for d in per_day),
        outgoing=sum(d.outgoing for d in per_day),
        per_day=per_day,
    )
