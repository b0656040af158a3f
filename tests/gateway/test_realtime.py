"""Socket.IO: JWT handshake, welcome and replay, delivery by right, live permission changes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.auth.tokens import ISSUER
from shared import events
from shared.db.repos import event_log, sessions
from shared.qr import data_url, render_png
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.eventlog import log_and_publish
from tests.support.sockets import SocketProbe

KEPT_PNG = render_png("2@ref,x,y,z", box_size=2)  # a size the gateway never renders

Client = TestClient[Any, Any]


@pytest.fixture
async def gateway_url(client: Client) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
async def probes() -> AsyncIterator[list[SocketProbe]]:
    made: list[SocketProbe] = []
    yield made
    for p in made:
        await p.disconnect()


async def _probe(
    probes: list[SocketProbe], url: str, token: str | None, ns: str = "/whatsapp"
) -> SocketProbe:
    p = SocketProbe(ns)
    probes.append(p)
    assert await p.connect(url, token), p.refused
    return p


async def _session(pg: AsyncConnectionPool, company_id: UUID, name: str = "main") -> UUID:
    async with pg.connection() as conn:
        return (await sessions.create(conn, company_id=company_id, name=name)).id


async def _publish(pg: AsyncConnectionPool, redis: Redis, event: events.Event) -> None:
    await log_and_publish(pg, redis, event)


def _state(company_id: UUID, session_id: UUID, state: SessionState) -> events.StateEvent:
    return events.StateEvent(
        session_id=session_id,
        company_id=company_id,
        data=events.StateData(state=state, previous=SessionState.IDLE, reason="test"),
    )


def _qr(company_id: UUID, session_id: UUID) -> events.QrEvent:
    return events.QrEvent(
        session_id=session_id,
        company_id=company_id,
        data=events.QrData(
            qr_code="data:image/png;base64,AA==", qr_raw="2@r,a,b,c", expires_at=None
        ),
    )


async def test_handshake_refusals_carry_a_reason(
    gateway_url: str, make_tenant: MakeTenant, make_user: MakeUser, settings: Settings
) -> None:
    admin = (await make_tenant()).admin
    claims = {"sub": str(admin.id), "role": "admin", "iat": int(time.time()), "iss": ISSUER}
    huge = jwt.encode({**claims, "exp": 10**30}, settings.jwt_secret, "HS256")
    for token, reason in [
        (None, "authentication required"),
        ("not-a-jwt", "invalid token"),
        ((await make_user("operator")).token, "operators have no message feed"),
        (huge, "invalid token"),  # validly signed, absurd expiry (was an OverflowError)
    ]:
        p = SocketProbe()
        assert not await p.connect(gateway_url, token)
        assert reason in str(p.refused), p.refused


async def test_welcome_replay_and_delivery_by_right(
    gateway_url: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    client: Client,
    probes: list[SocketProbe],
) -> None:
    a, b = await make_tenant(), await make_tenant()
    sid = await _session(pg, a.company.id)
    async with pg.connection() as conn:
        await sessions.worker_set_state(
            conn, session_id=sid, state="qr", reason="qr_shown", worker_id="w"
        )
        await sessions.worker_set_qr(
            conn, session_id=sid, qr_payload="2@ref,x,y,z", expires_at=None, qr_png=KEPT_PNG
        )
    # the manager may read this session
    grant = await client.post(
        f"/api/whatsapp/sessions/{sid}/access",
        json={
            "managerId": str(a.manager.id),
            "canRead": True,
            "canWrite": False,
            "canManageChats": False,
        },
        headers=a.admin.headers,
    )
    assert grant.status in (200, 201), await grant.text()

    admin = await _probe(probes, gateway_url, a.admin.token)
    manager = await _probe(probes, gateway_url, a.manager.token)
    outsider = await _probe(probes, gateway_url, b.admin.token)

    confirmed = (await admin.wait_for("connection-confirmed"))[0]
    assert confirmed["role"] == "admin" and confirmed["sessions"][0]["sessionId"] == str(sid)
    replay = (await admin.wait_for("whatsapp:qr"))[0]
    # the PNG kept with the QR, as it is (shared/qr.py: never rendered again here)
    assert replay["qrRaw"] == "2@ref,x,y,z" and replay["qrCode"] == data_url(KEPT_PNG)
    await manager.wait_for("whatsapp:state")
    assert (await outsider.wait_for("connection-confirmed"))[0]["sessions"] == []

    await _publish(pg, redis, _state(a.company.id, sid, SessionState.READY))
    await _publish(pg, redis, _qr(a.company.id, sid))
    live_state = await admin.wait_for("whatsapp:state", 2)
    assert live_state[-1] == {
        "sessionId": str(sid),
        "state": "ready",
        "previous": "idle",
        "reason": "test",
        "detail": None,
        "eventId": 1,
    }
    await admin.wait_for("whatsapp:qr", 2)
    await manager.wait_for("whatsapp:state", 2)
    await manager.quiet()
    assert manager.of("whatsapp:qr") == [], "QR codes are for admins only"
    assert [n for n in outsider.names() if n.startswith("whatsapp:")] == []


async def test_revoke_and_grant_apply_to_live_sockets(
    gateway_url: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    client: Client,
    probes: list[SocketProbe],
) -> None:
    a = await make_tenant()
    sid = await _session(pg, a.company.id)
    manager = await _probe(probes, gateway_url, a.manager.token)
    await manager.wait_for("connection-confirmed")

    await _publish(pg, redis, _state(a.company.id, sid, SessionState.QR))
    await manager.quiet()
    assert manager.of("whatsapp:state") == []

    body = {
        "managerId": str(a.manager.id),
        "canRead": True,
        "canWrite": True,
        "canManageChats": False,
    }
    resp = await client.post(
        f"/api/whatsapp/sessions/{sid}/access", json=body, headers=a.admin.headers
    )
    assert resp.status in (200, 201)
    replayed = await manager.wait_for("whatsapp:state")  # the grant replays the current state
    assert replayed[0]["sessionId"] == str(sid)
    await _publish(pg, redis, _state(a.company.id, sid, SessionState.READY))
    await manager.wait_for("whatsapp:state", 2)

    resp = await client.delete(
        f"/api/whatsapp/sessions/{sid}/access/{a.manager.id}", headers=a.admin.headers
    )
    assert resp.status == 200
    await manager.quiet(0.5)
    before = len(manager.of("whatsapp:state"))
    await _publish(pg, redis, _state(a.company.id, sid, SessionState.DISCONNECTED))
    await manager.quiet()
    assert len(manager.of("whatsapp:state")) == before


async def test_ping_pong_and_root_namespace(
    gateway_url: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    a = await make_tenant()
    first = await _session(pg, a.company.id, "first")
    second = await _session(pg, a.company.id, "second")
    ws = await _probe(probes, gateway_url, a.admin.token)
    ack = await ws.client.call("ping", {"n": 1}, namespace="/whatsapp", timeout=5)
    assert ack["echo"] == {"n": 1}
    await ws.wait_for("pong")

    root = await _probe(probes, gateway_url, a.admin.token, ns="/")
    await root.wait_for("wa:state")  # replay of the default (oldest) session
    await _publish(pg, redis, _state(a.company.id, second, SessionState.READY))
    await _publish(pg, redis, _state(a.company.id, first, SessionState.READY))
    await _publish(pg, redis, _qr(a.company.id, first))
    states = await root.wait_for("wa:state", 2)
    assert states[-1] == {"state": "ready", "sessionId": str(first)}
    assert (await root.wait_for("wa:qr"))[0]["sessionId"] == str(first)
    await root.quiet()
    assert all(s["sessionId"] == str(first) for s in root.of("wa:state"))


async def test_ping_echo_is_capped_and_big_messages_close_the_socket(
    gateway_url: str, make_tenant: MakeTenant, probes: list[SocketProbe]
) -> None:
    a = await make_tenant()
    ws = await _probe(probes, gateway_url, a.admin.token)
    small = await ws.client.call("ping", "x" * 100, namespace="/whatsapp", timeout=5)
    assert small["echo"] == "x" * 100
    big = await ws.client.call("ping", "x" * 4000, namespace="/whatsapp", timeout=5)
    assert big["echo"] is None  # not sent back (it was echoed whole, 200 KB too)
    assert ws.client.connected
    await ws.client.emit("ping", "x" * 200_000, namespace="/whatsapp")  # over the message cap
    await ws.quiet(1.0)
    assert not ws.client.connected


async def test_lying_or_forged_events_reach_nobody_and_malformed_ones_are_counted(
    client: Client,
    gateway_url: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    """An event saying company B but carrying a session of company A once reached A's people.
    The log now refuses it (its company is the session's), and what sockets receive is read
    from the log: a message on the channel that names any company and id delivers nothing."""
    a, b = await make_tenant(), await make_tenant()
    a_session = await _session(pg, a.company.id)
    watchers = {
        "a_admin": await _probe(probes, gateway_url, a.admin.token),
        "b_admin": await _probe(probes, gateway_url, b.admin.token),
    }
    for w in watchers.values():
        await w.wait_for("connection-confirmed")
    with pytest.raises(event_log.UnknownSession):  # the lie, and a session nobody has
        await log_and_publish(pg, redis, _state(b.company.id, a_session, SessionState.READY))
    with pytest.raises(event_log.UnknownSession):
        await log_and_publish(pg, redis, _state(a.company.id, uuid.uuid4(), SessionState.READY))
    forged = _state(b.company.id, a_session, SessionState.BLOCKED).model_copy(
        update={"event_id": 1}
    )
    await redis.publish(NAMES.events_channel, events.encode(forged))  # never logged
    await redis.publish(NAMES.events_channel, b"{not json")
    await _publish(pg, redis, _state(a.company.id, a_session, SessionState.QR))  # the truth
    got = await watchers["a_admin"].wait_for("whatsapp:state", 2)  # replay + the true one
    await watchers["a_admin"].quiet()
    assert [s["state"] for s in watchers["a_admin"].of("whatsapp:state")] == ["idle", "qr"], got
    assert watchers["b_admin"].of("whatsapp:state") == []
    async with pg.connection() as conn:
        assert (await event_log.position(conn, company_id=b.company.id)).last_id == 0
    metrics = await (await client.get("/metrics")).text()
    assert 'gateway_relay_dropped_total{reason="malformed"} 1.0' in metrics


async def test_two_gateways_each_deliver_once(
    settings: Settings,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    client: Client,
    probes: list[SocketProbe],
) -> None:
    a = await make_tenant()
    sid = await _session(pg, a.company.id)
    async with TestClient(TestServer(create_app(settings))) as second:
        one = await _probe(probes, str(client.make_url("")).rstrip("/"), a.admin.token)
        two = await _probe(probes, str(second.make_url("")).rstrip("/"), a.admin.token)
        await one.wait_for("connection-confirmed")
        await two.wait_for("connection-confirmed")
        await _publish(pg, redis, _state(a.company.id, sid, SessionState.READY))
        for p in (one, two):
            got = await p.wait_for("whatsapp:state", 2)
            await p.quiet()
            assert [s for s in p.of("whatsapp:state") if "replay" not in s] == got[-1:]
        for p in (one, two):
            await p.disconnect()


async def test_unconfirmed_sends_are_relayed_as_such(
    gateway_url: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    a = await make_tenant()
    sid = await _session(pg, a.company.id)
    admin = await _probe(probes, gateway_url, a.admin.token)
    await admin.wait_for("connection-confirmed")
    chat_id, message_id = uuid4(), uuid4()
    message = events.MessagePayload(
        id=message_id,
        chat_id=chat_id,
        wa_chat_id="123456789012345@lid",
        wa_message_id=None,
        client_message_id="c-1",
        direction="out",
        sender=None,
        body="typed, row not seen",
        type="text",
        status="unconfirmed",
        timestamp=None,
        created_at=datetime.now(UTC),
    )
    data = events.MessageData(chat_id=chat_id, message=message)
    await _publish(
        pg, redis, events.MessageSentEvent(session_id=sid, company_id=a.company.id, data=data)
    )
    [got] = await admin.wait_for("whatsapp:message_sent")
    assert got["chatId"] == str(chat_id)
    assert (got["message"]["status"], got["message"]["waChatId"]) == (
        "unconfirmed",
        "123456789012345@lid",
    )
