"""The dashboard in headless Chromium against the in-process gateway, a worker and the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from selenium import webdriver

from shared.db.repos import chats, messages
from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant, run
from tests.support.dashboard import Dashboard
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]


def _dashboard(chrome: webdriver.Chrome, front: str) -> Dashboard:
    return Dashboard(chrome, front + "/")


async def _create_session(client: Client, headers: dict[str, str], name: str) -> str:
    resp = await client.post("/api/whatsapp/sessions", json={"name": name}, headers=headers)
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["data"]["sessionId"])


async def test_login_roles_and_manager_sees_only_granted_sessions(
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    make_user: MakeUser,
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    operator = await make_user("operator")
    granted = await _create_session(client, tenant.admin.headers, "Sales")
    await _create_session(client, tenant.admin.headers, "Support")
    await _create_session(client, other.admin.headers, "Elsewhere")
    grant = await client.post(
        f"/api/whatsapp/sessions/{granted}/access",
        json={"managerId": str(tenant.manager.id), "canRead": True},
        headers=tenant.admin.headers,
    )
    assert grant.status in (200, 201), await grant.text()
    page = _dashboard(chrome, front)

    await run(page.login, tenant.admin.user.email, "wrong-password")
    assert await run(page.login_error) != ""

    await run(page.login, tenant.admin.user.email, tenant.admin.password)
    await run(page.wait_view, "sessions")
    assert len(await run(page.wait_session_rows, 2)) == 2
    assert await run(page.nav_links) == [
        "nav-sessions", "nav-managers", "nav-quick-replies", "nav-stats", "nav-webhooks",
        "nav-api-keys",
    ]  # fmt: skip
    await run(page.go, "#/stats")
    await run(page.wait_view, "stats")
    await run(page.logout)

    await run(page.login, tenant.manager.user.email, tenant.manager.password)
    await run(page.wait_view, "sessions")
    assert await run(page.wait_session_rows, 1) == [granted]
    assert await run(page.nav_links) == ["nav-sessions", "nav-stats"]
    await run(page.go, "#/managers")  # an admin page: sent back to the sessions list
    await run(page.wait_view, "sessions")
    await run(page.logout)

    await run(page.login, operator.user.email, operator.password)
    await run(page.wait_view, "ops")
    assert await run(page.nav_links) == ["nav-ops"]
    await run(page.go, "#/sessions")  # operators only see the workers page
    await run(page.wait_view, "ops")
    assert await run(page.console_errors) == []


async def test_connect_then_chat_live_with_ticks_and_nothing_dynamic_cached(
    stack: Stack,
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    make_user: MakeUser,
) -> None:
    tenant = await make_tenant()
    stack.start_worker("w1")
    sid = await _create_session(client, tenant.admin.headers, "Sales")
    stack.tap.sessions.add(UUID(sid))
    page = _dashboard(chrome, front)
    await run(page.login, tenant.admin.user.email, tenant.admin.password)
    await run(page.wait_session_rows, 1)
    assert await run(page.socket_transport) == "websocket"

    # Connect: the modal shows the QR, follows its rotation, and closes once the phone scans it
    await run(page.connect, sid)
    assert await run(page.qr_modal_session) == sid
    first = await run(page.wait_qr_image)
    assert first.startswith("data:image/png;base64,")
    await run(page.wait_qr_changed, first)
    qr = await client.get(f"/api/whatsapp/sessions/{sid}/qr", headers=tenant.admin.headers)
    qr_raw = (await qr.json())["data"]["qrRaw"]
    phone, contact = unique_phone(), unique_phone()
    await stack.sim.link(qr_raw, phone, "Sales Desk")
    await run(page.wait_qr_modal_closed)
    await run(page.wait_session_state, sid, "ready")
    assert await run(page.session_phone, sid) == f"+{phone}"

    # a customer writes: the chat appears live; open it, and the next message arrives live in it
    await run(page.go, f"#/chats/{sid}")
    await stack.sim.inbound(phone, contact, "Hello there", name="Carol")
    chat_id = await run(page.wait_chat)
    await run(page.go, f"#/chats/{sid}/{chat_id}")
    await run(page.wait_message, "Hello there")
    await stack.sim.inbound(phone, contact, "Are you open <b>today</b>?", name="Carol")
    await run(page.wait_message, "Are you open <b>today</b>?")  # shown as text, not markup

    # the reply typed in the UI reaches the contact; ticks follow the phone's acks
    await run(page.type_message, "Yes, until 6\nsee you")
    await run(page.wait_message_status, "Yes, until 6\nsee you", "sent")
    at_contact = [m for m in await stack.sim.sent(phone) if m["text"] == "Yes, until 6\nsee you"]
    assert len(at_contact) == 1, await stack.sim.sent(phone)
    await stack.sim.ack(phone, at_contact[0]["messageId"], "delivered")
    await run(page.wait_message_status, "Yes, until 6\nsee you", "delivered")
    await stack.sim.ack(phone, at_contact[0]["messageId"], "read")
    await run(page.wait_message_status, "Yes, until 6\nsee you", "read")

    # the service worker cached the static shell only: no API, no Socket.IO, no non-GET
    await run(page.wait_service_worker)
    cached = await run(page.cached_urls)
    assert cached and all(c.startswith("GET ") for c in cached), cached
    assert not [c for c in cached if "/api/" in c or "/socket.io/" in c], cached
    assert await run(page.console_errors) == []
    assert await run(page.socket_transport) == "websocket"  # still, after all of the above

    # the operator sees the worker that holds the session, with its restart button
    operator = await make_user("operator")
    await run(page.logout)
    await run(page.login, operator.user.email, operator.password)
    assert await run(page.wait_worker, "w1") == {"session": sid, "restartable": True}


async def test_history_paging_languages_access_and_escaping(
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
) -> None:
    tenant = await make_tenant()
    sid = await _create_session(client, tenant.admin.headers, "Sales")
    hostile = '<img src=x onerror="window.__xss=1">'
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    async with pg.connection() as conn:
        chat = await chats.worker_upsert(
            conn, session_id=UUID(sid), wa_chat_id="15550001234@c.us", name=hostile, is_group=False
        )
        for i in range(1, 46):
            await messages.worker_upsert_observed(
                conn,
                session_id=UUID(sid),
                chat_id=chat.id,
                wa_msg_id=f"false_15550001234@c.us_{i:020X}",
                direction="in",
                sender="Carol",
                body=f"message {i:02d} {hostile}",
                status="delivered",
                wa_timestamp=start + timedelta(minutes=i),
            )
    page = _dashboard(chrome, front)
    await run(page.login, tenant.admin.user.email, tenant.admin.password)
    await run(page.wait_view, "sessions")

    # history: the newest page first, then "load older" adds the rest above it, in order
    await run(page.go, f"#/chats/{sid}/{chat.id}")
    assert await run(page.chat_title) == hostile  # text, never markup
    newest = await run(page.wait_message_count, 30)
    assert newest[0].startswith("message 16") and newest[-1].startswith("message 45")
    await run(page.load_older)
    everything = await run(page.wait_message_count, 45)
    assert everything == [f"message {i:02d} {hostile}" for i in range(1, 46)]
    assert not await run(page.has_load_older)
    assert await run(page.run_script, "return window.__xss === undefined")

    # languages: one switch re-renders the whole UI
    await run(page.set_language, "ru")
    assert await run(page.nav_texts) == [
        "Сессии", "Менеджеры", "Быстрые ответы", "Статистика", "Вебхуки", "API-ключи",
    ]  # fmt: skip
    await run(page.set_language, "en")
    assert await run(page.nav_texts) == [
        "Sessions", "Managers", "Quick replies", "Statistics", "Webhooks", "API keys",
    ]  # fmt: skip

    # access: the admin grants the manager read (not write) on the session page
    await run(page.go, f"#/sessions/{sid}")
    assert await run(page.session_detail, "state") != ""
    await run(page.grant, str(tenant.manager.id), {"canRead": True, "canWrite": False})
    resp = await client.get(f"/api/whatsapp/sessions/{sid}/access", headers=tenant.admin.headers)
    [grant] = (await resp.json())["data"]["access"]
    rights = (grant["canRead"], grant["canWrite"], grant["canManageChats"])
    assert (grant["managerId"], rights) == (str(tenant.manager.id), (True, False, False))
    assert await run(page.console_errors) == []

    # the manager reads the chat; without canWrite the send box is disabled
    await run(page.logout)
    await run(page.login, tenant.manager.user.email, tenant.manager.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{sid}/{chat.id}")
    assert len(await run(page.wait_message_count, 30)) == 30
    assert not await run(page.can_compose)
    assert await run(page.console_errors) == []
