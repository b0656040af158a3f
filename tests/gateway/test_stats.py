"""Stats match seeded data: company-wide for admins, granted (canRead) sessions for managers;
30 UTC days, zero-filled, oldest first; older messages and other companies never counted."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from tests.gateway.conftest import MakeTenant
from tests.support.wa import grant, seed_chat, seed_session

Client = TestClient[Any, Any]


async def _message(
    pg: AsyncConnectionPool, session_id: UUID, chat_id: UUID, direction: str, at: datetime
) -> None:
    # inbound messages carry WhatsApp's timestamp; outgoing ones only the time they were stored
    async with pg.connection() as conn:
        await conn.execute(
            "INSERT INTO wa_messages (session_id, chat_id, direction, body, status,"
            " wa_timestamp, created_at)"
            " VALUES (%(s)s, %(c)s, %(d)s, 'x', 'sent', %(ts)s, %(created)s)",
            {
                "s": session_id,
                "c": chat_id,
                "d": direction,
                "ts": at if direction == "in" else None,
                "created": datetime.now(UTC) if direction == "in" else at,
            },
        )


async def test_stats_for_admin_and_manager(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    other = await make_tenant()
    cid = t.company.id
    s1 = await seed_session(pg, cid, name="s1", state="ready")
    s2 = await seed_session(pg, cid, name="s2", state="ready")
    s3 = await seed_session(pg, cid, name="s3", state="qr")
    await grant(pg, cid, s1.id, t.manager.id)
    await grant(pg, cid, s3.id, t.manager.id, read=False)
    c1 = await seed_chat(pg, s1.id, "1@c.us")
    c2 = await seed_chat(pg, s2.id, "2@c.us")
    await seed_chat(pg, s2.id, "3@c.us")
    foreign = await seed_session(pg, other.company.id, state="ready")
    fchat = await seed_chat(pg, foreign.id, "9@c.us")

    now = datetime.now(UTC)
    today = now.date()
    plan = [  # (chat, session, direction, days ago)
        (c1, s1, "in", 0),
        (c1, s1, "in", 0),
        (c1, s1, "out", 0),
        (c1, s1, "in", 3),
        (c1, s1, "out", 29),
        (c2, s2, "in", 1),
        (c2, s2, "out", 1),
        (c2, s2, "in", 29),
        (c1, s1, "in", 30),  # outside the window
        (c2, s2, "out", 45),
    ]
    for chat, session, direction, ago in plan:
        at = datetime.combine(today - timedelta(days=ago), datetime.min.time(), UTC)
        await _message(pg, session.id, chat.id, direction, at + timedelta(hours=1))
    await _message(pg, foreign.id, fchat.id, "in", now)

    def expect(sessions: set[UUID]) -> tuple[Counter[tuple[date, str]], int, int]:
        days: Counter[tuple[date, str]] = Counter()
        for _, session, direction, ago in plan:
            if session.id in sessions and ago < 30:
                days[(today - timedelta(days=ago), direction)] += 1
        ins = sum(n for (_, d), n in days.items() if d == "in")
        outs = sum(n for (_, d), n in days.items() if d == "out")
        return days, ins, outs

    for account, scope, visible, active, chats in (
        (t.admin, "company", {s1.id, s2.id, s3.id}, 2, 3),
        (t.manager, "granted", {s1.id}, 1, 1),
    ):
        resp = await client.get("/api/whatsapp/stats", headers=account.headers)
        assert resp.status == 200
        data = (await resp.json())["data"]
        days, ins, outs = expect(visible)
        assert data["scope"] == scope and data["days"] == 30
        assert data["totalSessions"] == len(visible)
        assert data["activeSessions"] == active and data["chats"] == chats
        msgs = data["messages"]
        assert (msgs["in"], msgs["out"], msgs["total"]) == (ins, outs, ins + outs)
        per_day = msgs["perDay"]
        assert len(per_day) == 30
        assert per_day[0]["date"] == str(today - timedelta(days=29))
        assert per_day[-1]["date"] == str(today)
        for entry in per_day:
            day = date.fromisoformat(entry["date"])
            assert (entry["in"], entry["out"]) == (days[(day, "in")], days[(day, "out")])


async def test_empty_company_has_zero_filled_stats(client: Client, make_tenant: MakeTenant) -> None:
    t = await make_tenant()
    resp = await client.get("/api/whatsapp/stats", headers=t.manager.headers)
    data = (await resp.json())["data"]
    assert (data["totalSessions"], data["activeSessions"], data["chats"]) == (0, 0, 0)
    assert [(d["in"], d["out"]) for d in data["messages"]["perDay"]] == [(0, 0)] * 30
