"""Resumable sockets: ``auth.lastEventId`` replays exactly what the socket missed, in order,
filtered like live events, then live events with no gap and no duplicate at the seam; a cursor
the log cannot serve answers ``resync_required``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared import events
from shared.db.repos import event_log
from shared.settings import Settings
from shared.states import SessionState
from tests.gateway.conftest import MakeTenant
from tests.support.eventlog import log_and_publish
from tests.support.gateways import GatewayTestServer, wait_until_listening
from tests.support.sockets import SocketProbe
from tests.support.wa import grant, seed_session

Client = TestClient[Any, Any]
MESSAGES = ("whatsapp:message",)


@pytest.fixture
async def probes() -> AsyncIterator[list[SocketProbe]]:
    made: list[SocketProbe] = []
    yield made
    for p in made:
        await p.disconnect()


async def _probe(
    probes: list[SocketProbe], client: Client, token: str | None, **auth: Any
) -> SocketProbe:
    p = SocketProbe()
    probes.append(p)
    assert await p.connect(str(client.make_url("")).rstrip("/"), token, **auth), p.refused
    return p


def _message(company_id: UUID, session_id: UUID, body: str) -> events.MessageEvent:
    chat_id = uuid4()
    payload = events.MessagePayload(
        id=uuid4(),
        chat_id=chat_id,
        wa_chat_id="79001234567@c.us",
        wa_message_id=body,
        client_message_id=None,
        direction="in",
        sender="Ann",
        body=body,
        type="text",
        status="delivered",
        timestamp=None,
        created_at=datetime.now(UTC),
    )
    data = events.MessageData(chat_id=chat_id, message=payload)
    return events.MessageEvent(session_id=session_id, company_id=company_id, data=data)


def _qr(company_id: UUID, session_id: UUID) -> events.QrEvent:
    data = events.QrData(qr_code="data:image/png;base64,AA==", qr_raw="2@x", expires_at=None)
    return events.QrEvent(session_id=session_id, company_id=company_id, data=data)


async def _send(pg: AsyncConnectionPool, redis: Redis, *batch: events.Event) -> list[int]:
    ids = []
    for event in batch:
        [logged] = await log_and_publish(pg, redis, event)
        ids.append(logged.event_id or 0)
    return ids


def _bodies(p: SocketProbe) -> list[str]:
    return [m["message"]["body"] for m in p.of("whatsapp:message")]


async def test_100_missed_messages_come_back_in_order_then_live_ones_without_gap_or_duplicate(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    cid = t.company.id
    sid = (await seed_session(pg, cid)).id
    first = await _probe(probes, client, t.admin.token)
    [confirmed] = await first.wait_for("connection-confirmed")
    assert (confirmed["lastEventId"], confirmed["resume"]) == (0, "none")
    await _send(pg, redis, _message(cid, sid, "seen"))
    [seen] = await first.wait_for("whatsapp:message")
    await first.disconnect()

    missed = [f"missed-{i}" for i in range(100)]
    await _send(pg, redis, *(_message(cid, sid, b) for b in missed))

    async def live_meanwhile() -> None:  # events keep coming while the socket resumes
        for i in range(20):
            await _send(pg, redis, _message(cid, sid, f"live-{i}"))
            await asyncio.sleep(0.005)

    writer = asyncio.create_task(live_meanwhile())
    back = await _probe(probes, client, t.admin.token, lastEventId=seen["eventId"])
    await writer
    await back.wait_for("resume-complete")
    await _send(pg, redis, _message(cid, sid, "after"))
    got = await back.wait_for("whatsapp:message", count=121)
    await back.quiet()
    assert _bodies(back) == [*missed, *(f"live-{i}" for i in range(20)), "after"]
    ids = [m["eventId"] for m in back.of("whatsapp:message")]
    assert ids == list(range(seen["eventId"] + 1, seen["eventId"] + 122)), got[:3]
    [confirmed] = back.of("connection-confirmed")
    assert (confirmed["lastEventId"], confirmed["resume"]) == (seen["eventId"], "replay")
    [done] = back.of("resume-complete")
    assert done["replayed"] >= 100 and done["lastEventId"] >= seen["eventId"] + 100
    assert back.names().index("resume-complete") > back.names().index("connection-confirmed")
    assert back.of("whatsapp:state") == [], "a resumed socket gets the log, not a snapshot"


async def test_a_replay_is_filtered_exactly_like_live_delivery(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    """A manager who may read session A (not B) gets, when resuming, exactly the events a live
    socket of theirs got meanwhile: A's messages and states, never B's, never QR codes."""
    t = await make_tenant()
    cid = t.company.id
    a, b = (await seed_session(pg, cid, name="a")).id, (await seed_session(pg, cid, name="b")).id
    await grant(pg, cid, a, t.manager.id)
    live = await _probe(probes, client, t.manager.token)
    [confirmed] = await live.wait_for("connection-confirmed")
    start = confirmed["lastEventId"]
    state = events.StateData(state=SessionState.QR, previous=None, reason="r")
    mixed: list[events.Event] = [
        _message(cid, a, "a-1"),
        _message(cid, b, "b-1"),
        _qr(cid, a),
        events.StateEvent(session_id=a, company_id=cid, data=state),
        events.StateEvent(session_id=b, company_id=cid, data=state),
        _message(cid, a, "a-2"),
    ]
    ids = await _send(pg, redis, *mixed)
    await live.wait_for("whatsapp:message", count=2)
    await live.quiet()
    resumed = await _probe(probes, client, t.manager.token, lastEventId=start)
    await resumed.wait_for("resume-complete")

    def received(p: SocketProbe) -> list[tuple[str, int]]:
        return [(n, d["eventId"]) for n, d in p.received if isinstance(d, dict) and "eventId" in d]

    assert received(resumed) == received(live)
    assert [i for _, i in received(live)] == [ids[0], ids[3], ids[5]]
    assert resumed.of("whatsapp:qr") == []


async def test_a_cursor_the_log_cannot_serve_gets_resync_required(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    cid = t.company.id
    sid = (await seed_session(pg, cid)).id
    ids = await _send(pg, redis, *(_message(cid, sid, f"m{i}") for i in range(5)))
    async with pg.connection() as conn:  # the first three are past retention: pruned
        await conn.execute(
            "UPDATE event_log SET at = now() - interval '30 days' WHERE id <= %(id)s",
            {"id": ids[2]},
        )
        assert await event_log.prune(conn, before=datetime.now(UTC) - timedelta(days=7), batch=2)
        assert await event_log.prune(conn, before=datetime.now(UTC) - timedelta(days=7), batch=2)
    head = ids[-1]
    for cursor, reason in [(ids[0], "cursor_too_old"), (ids[-1] + 50, "cursor_ahead")]:
        p = await _probe(probes, client, t.admin.token, lastEventId=cursor)
        [notice] = await p.wait_for("resync_required")
        assert notice == {"reason": reason, "lastEventId": head}
        [confirmed] = p.of("connection-confirmed")
        assert (confirmed["resume"], confirmed["lastEventId"]) == ("resync", head)
        await p.wait_for("whatsapp:state")  # the current state instead, then live events
        [head] = await _send(pg, redis, _message(cid, sid, reason))
        [live] = await p.wait_for("whatsapp:message")
        assert live["message"]["body"] == reason
    # from the oldest id still kept, the replay works
    p = await _probe(probes, client, t.admin.token, lastEventId=ids[2])
    await p.wait_for("resume-complete")
    assert _bodies(p) == ["m3", "m4", "cursor_too_old", "cursor_ahead"]


async def test_too_many_missed_events_and_bad_cursors(
    settings: Settings,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    sid = (await seed_session(pg, t.company.id)).id
    await _send(pg, redis, *(_message(t.company.id, sid, f"m{i}") for i in range(6)))
    small = settings.model_copy(update={"resume_max_events": 5})
    async with TestClient(GatewayTestServer(create_app(small))) as client:
        await wait_until_listening(client.app)
        p = await _probe(probes, client, t.admin.token, lastEventId=0)
        [notice] = await p.wait_for("resync_required")
        assert notice == {"reason": "too_many_missed", "lastEventId": 6}
        for bad in ("abc", -1, 1.5, True, {"x": 1}):
            refused = SocketProbe()
            url = str(client.make_url("")).rstrip("/")
            assert not await refused.connect(url, t.admin.token, lastEventId=bad)
            assert "lastEventId must be a non-negative integer" in str(refused.refused)
        ok = await _probe(probes, client, t.admin.token, lastEventId="3")  # digits as text
        await ok.wait_for("resume-complete")
        assert _bodies(ok) == ["m3", "m4", "m5"]
        await p.disconnect()
        await ok.disconnect()
