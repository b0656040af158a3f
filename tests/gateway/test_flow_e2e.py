"""The whole seed flow over HTTP and Socket.IO, with a real worker, Chromium and the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from shared.settings import Settings
from tests.gateway.conftest import MakeTenant
from tests.support.sockets import SocketProbe
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]


@pytest.fixture
async def second_gateway(settings: Settings) -> AsyncIterator[Client]:
    async with TestClient(TestServer(create_app(settings))) as c:
        yield c


def _url(c: Client) -> str:
    return str(c.make_url("")).rstrip("/")


async def _socket(url: str, token: str, made: list[SocketProbe]) -> SocketProbe:
    probe = SocketProbe()
    made.append(probe)
    assert await probe.connect(url, token), probe.refused
    await probe.wait_for("connection-confirmed")
    return probe


async def test_admin_links_manager_chats_live_and_tenants_stay_apart(
    stack: Stack, client: Client, second_gateway: Client, make_tenant: MakeTenant
) -> None:
    a, b = await make_tenant(), await make_tenant()
    stack.start_worker("w1")
    sockets: list[SocketProbe] = []
    try:
        admin = await _socket(_url(client), a.admin.token, sockets)
        admin_on_2 = await _socket(_url(second_gateway), a.admin.token, sockets)
        manager = await _socket(_url(client), a.manager.token, sockets)
        outsider = await _socket(_url(second_gateway), b.admin.token, sockets)

        # admin creates a session through gateway 1; the QR arrives over REST and the socket
        created = await client.post(
            "/api/whatsapp/sessions", json={"name": "Sales"}, headers=a.admin.headers
        )
        assert created.status == 201, await created.text()
        sid = (await created.json())["data"]["sessionId"]
        stack.tap.sessions.add(UUID(sid))
        qr = (await admin.wait_for("whatsapp:qr", timeout_s=60))[-1]
        assert qr["sessionId"] == sid and qr["qrCode"].startswith("data:image/png;base64,")
        rest_qr = (
            await (
                await client.get(f"/api/whatsapp/sessions/{sid}/qr", headers=a.admin.headers)
            ).json()
        )["data"]
        assert rest_qr["qrRaw"] and rest_qr["qrCode"]

        # the phone scans it; both gateways' sockets see the session become ready
        phone, contact = unique_phone(), unique_phone()
        await stack.sim.link(qr["qrRaw"], phone, "Sales Desk")
        ready = (await admin.wait_for("whatsapp:ready", timeout_s=60))[-1]
        assert ready == {
            "sessionId": sid,
            "phoneNumber": phone,
            "displayName": "Sales Desk",
            "eventId": ready["eventId"],  # the company's event-log id (resume from it)
        }
        assert isinstance(ready["eventId"], int)
        await admin_on_2.wait_for("whatsapp:ready", timeout_s=30)

        # the admin grants the manager read + write; the manager's live socket follows at once
        grant = await client.post(
            f"/api/whatsapp/sessions/{sid}/access",
            json={"managerId": str(a.manager.id), "canRead": True, "canWrite": True},
            headers=a.admin.headers,
        )
        assert grant.status in (200, 201), await grant.text()
        await manager.wait_for("whatsapp:state", timeout_s=10)

        # a customer writes: the manager sees it live and over REST
        await stack.sim.inbound(phone, contact, "Do you deliver on Sundays?", name="Carol")
        live = (await manager.wait_for("whatsapp:message", timeout_s=30))[-1]
        assert live["sessionId"] == sid and live["message"]["body"] == "Do you deliver on Sundays?"
        chat_id = live["chatId"]
        chats = (
            await (
                await client.get(f"/api/whatsapp/sessions/{sid}/chats", headers=a.manager.headers)
            ).json()
        )["data"]["chats"]
        assert [c["id"] for c in chats] == [chat_id] and chats[0]["name"] == "Carol"
        history = (
            await (
                await client.get(
                    f"/api/whatsapp/sessions/{sid}/chats/{chat_id}/messages",
                    headers=a.manager.headers,
                )
            ).json()
        )["data"]["messages"]
        assert [m["body"] for m in history] == ["Do you deliver on Sundays?"]

        # the manager replies (waiting for the worker) and sees it sent, then read
        sent = await client.post(
            f"/api/whatsapp/sessions/{sid}/chats/{chat_id}/send?wait=20",
            json={"message": "Yes, 10-16 🙂", "clientMessageId": "reply-1"},
            headers=a.manager.headers,
        )
        assert sent.status == 200, await sent.text()
        assert (await sent.json())["data"]["status"] in ("sent", "delivered", "read")
        await manager.wait_for("whatsapp:message_sent", timeout_s=10)
        at_contact = [m for m in await stack.sim.sent(phone) if m["text"] == "Yes, 10-16 🙂"]
        assert len(at_contact) == 1
        await stack.sim.ack(phone, at_contact[0]["messageId"], "read")
        acks = await manager.wait_for("whatsapp:message_ack", timeout_s=15)
        assert acks[-1]["status"] == "read"

        # the other company saw nothing and cannot reach any of it
        await outsider.quiet()
        assert [n for n in outsider.names() if n.startswith("whatsapp:")] == []
        for path in (f"/api/whatsapp/sessions/{sid}", f"/api/whatsapp/sessions/{sid}/chats"):
            assert (await client.get(path, headers=b.admin.headers)).status == 404

        # revoking the manager stops their events; the admin still gets them
        revoke = await client.delete(
            f"/api/whatsapp/sessions/{sid}/access/{a.manager.id}", headers=a.admin.headers
        )
        assert revoke.status == 200
        await asyncio.sleep(0.5)
        before = len(manager.of("whatsapp:message"))
        await stack.sim.inbound(phone, contact, "one more thing", name="Carol")
        await admin.wait_for("whatsapp:message", 2, timeout_s=30)
        await manager.quiet(0.5)
        assert len(manager.of("whatsapp:message")) == before
    finally:
        for s in sockets:
            await s.disconnect()
