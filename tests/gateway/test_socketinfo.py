"""The Socket.IO test config: where to connect, with the caller's own token, and the events."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from shared.settings import Settings
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
        assert data["auth"] == {"token": account.token, "apiKey": None}
        assert {
            "whatsapp:state", "whatsapp:qr", "whatsapp:ready", "whatsapp:message",
            "whatsapp:message_sent", "whatsapp:message_ack", "whatsapp:disconnected",
            "whatsapp:chat_updated", "connection-confirmed", "ping", "pong",
        } <= set(data["events"])  # fmt: skip
    # from a peer that is no trusted proxy, forwarded scheme and host are not believed
    path = "/api/whatsapp/websocket/test-config"
    forwarded = {**account.headers, "X-Forwarded-Proto": "https", "X-Forwarded-Host": "wa.test"}
    untrusted = await client.get(path, headers=forwarded)
    assert (await untrusted.json())["data"]["url"] == f"http://{client.host}:{client.port}"
    assert (await client.get(path)).status == 401


async def test_behind_a_trusted_proxy_the_forwarded_origin_is_given(
    settings: Settings, make_user: MakeUser
) -> None:
    operator = await make_user("operator")
    proxied = settings.model_copy(update={"trusted_proxies": "127.0.0.1"})
    async with TestClient(TestServer(create_app(proxied))) as c:
        resp = await c.get(
            "/api/whatsapp/websocket/test-config",
            headers={
                **operator.headers,
                "X-Forwarded-Proto": "https",
                "X-Forwarded-Host": "wa.test",
            },
        )
        assert (await resp.json())["data"]["url"] == "https://wa.test"
