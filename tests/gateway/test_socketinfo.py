"""The Socket.IO test config: where to connect, with the caller's own token, and the events."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import MakeCompany, MakeUser

Client = TestClient[Any, Any]


async def test_any_user_gets_the_socket_config(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    company = await make_company()
    for account in (
        await make_user("admin", company),
        await make_user("manager", company),
        await make_user("operator"),
    ):
        resp = await client.get("/api/whatsapp/websocket/test-config", headers=account.headers)
        assert resp.status == 200
        data = (await resp.json())["data"]
        assert data["url"] == f"http://{client.host}:{client.port}"
        assert data["path"] == "/socket.io/" and data["namespace"] == "/whatsapp"
        assert data["transports"] == ["websocket", "polling"]
        assert data["auth"] == {"token": account.token}
        assert {
            "whatsapp:state", "whatsapp:qr", "whatsapp:ready", "whatsapp:message",
            "whatsapp:message_sent", "whatsapp:message_ack", "whatsapp:disconnected",
            "whatsapp:chat_updated", "connection-confirmed", "ping", "pong",
        } <= set(data["events"])  # fmt: skip
    forwarded = await client.get(
        "/api/whatsapp/websocket/test-config",
        headers={**account.headers, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wa.test"},
    )
    assert (await forwarded.json())["data"]["url"] == "https://wa.test"
    assert (await client.get("/api/whatsapp/websocket/test-config")).status == 401
