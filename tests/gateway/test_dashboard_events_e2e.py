"""The dashboard in headless Chromium: after a reconnect the open conversation shows the messages
that arrived meanwhile (resume); when the server cannot replay (resync_required) it reloads what
it shows; the webhooks and API keys pages work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from shared import events
from shared.db.repos import event_log, messages
from shared.db.types import Chat
from shared.payloads import message_payload
from tests.gateway.conftest import MakeTenant, run
from tests.support.dashboard import Dashboard
from tests.support.eventlog import log_and_publish
from tests.support.wa import seed_chat, seed_session

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]
WORLD_URL = "https://93.184.215.14/hooks/wa"  # a public address: no DNS needed


async def _inbound(
    pg: AsyncConnectionPool, redis: Redis, chat: Chat, company: uuid.UUID, body: str
) -> None:
    """A message stored and its event logged and published, as the worker does."""
    async with pg.connection() as conn:
        row, _ = await messages.worker_upsert_observed(
            conn,
            session_id=chat.session_id,
            chat_id=chat.id,
            wa_msg_id=uuid.uuid4().hex,
            direction="in",
            sender="Ann",
            body=body,
            status="delivered",
            wa_timestamp=datetime.now(UTC),
        )
    data = events.MessageData(
        chat_id=chat.id, message=message_payload(row, wa_chat_id=chat.wa_chat_id)
    )
    event = events.MessageEvent(session_id=chat.session_id, company_id=company, data=data)
    await log_and_publish(pg, redis, event)


def _socket(driver: webdriver.Chrome, action: str) -> None:
    driver.execute_script(f"window.__waSocket.{action}()")


def _connected(driver: webdriver.Chrome) -> bool:
    return bool(
        driver.execute_script("return Boolean(window.__waSocket && window.__waSocket.connected)")
    )


async def test_a_reconnected_conversation_shows_what_arrived_meanwhile_and_resyncs(
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready", phone="15550001111")
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    page = Dashboard(chrome, front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{session.id}/{chat.id}")
    await run(page.wait_view, "conversation")
    await _inbound(pg, redis, chat, t.company.id, "live one")
    await run(page.wait_message, "live one")

    await run(_socket, chrome, "disconnect")
    for i in range(3):
        await _inbound(pg, redis, chat, t.company.id, f"while away {i}")
    await run(_socket, chrome, "connect")
    for i in range(3):
        await run(page.wait_message, f"while away {i}")
    bodies = await run(page.message_bodies)
    assert bodies == ["live one", "while away 0", "while away 1", "while away 2"]

    # the log no longer has what the socket missed: it is told to resync, and the view reloads
    await run(_socket, chrome, "disconnect")
    async with pg.connection() as conn:
        await messages.worker_upsert_observed(
            conn, session_id=session.id, chat_id=chat.id, wa_msg_id="quiet", direction="in",
            sender="Ann", body="only in the database", status="delivered",
            wa_timestamp=datetime.now(UTC),
        )  # fmt: skip
    await _inbound(pg, redis, chat, t.company.id, "pruned away")
    async with pg.connection() as conn:
        await conn.execute("UPDATE event_log SET at = now() - interval '30 days'")
        await event_log.prune(conn, before=datetime.now(UTC) - timedelta(days=1), batch=1000)
    await run(_socket, chrome, "connect")
    await run(page.wait_message, "only in the database")
    await run(page.wait_message, "pruned away")
    await run(WebDriverWait(chrome, 10).until, _connected)
    assert await run(page.console_errors) == []


async def test_webhooks_and_api_keys_pages(
    client: Client, chrome: webdriver.Chrome, front: str, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    page = Dashboard(chrome, front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    links = await run(page.nav_links)
    assert "nav-webhooks" in links and "nav-api-keys" in links

    def create_webhook(d: webdriver.Chrome) -> str:
        d.find_element(By.CSS_SELECTOR, "[data-testid=webhook-url]").send_keys(WORLD_URL)
        d.find_element(By.CSS_SELECTOR, '[data-event-type="message"]').click()
        d.find_element(By.CSS_SELECTOR, "[data-testid=webhook-create]").click()
        secret = WebDriverWait(d, 10).until(
            lambda x: x.find_element(By.CSS_SELECTOR, "[data-testid=webhook-secret]").text
        )
        return str(secret)

    await run(page.go, "#/webhooks")
    await run(page.wait_view, "webhooks")
    secret = await run(create_webhook, chrome)
    assert secret.startswith("whsec_")
    hooks = await (await client.get("/api/webhooks", headers=t.admin.headers)).json()
    [hook] = hooks["data"]["webhooks"]
    assert (hook["url"], hook["events"], hook["secretHint"]) == (
        WORLD_URL,
        ["message"],
        "..." + secret[-4:],
    )

    def open_deliveries(d: webdriver.Chrome) -> bool:
        d.find_element(By.CSS_SELECTOR, "[data-testid=webhook-deliveries]").click()
        WebDriverWait(d, 10).until(
            lambda x: x.find_element(By.CSS_SELECTOR, "[data-testid=deliveries]")
        )
        return True

    assert await run(open_deliveries, chrome)

    def create_key(d: webdriver.Chrome) -> str:
        d.find_element(By.CSS_SELECTOR, "[data-testid=apikey-name]").send_keys("CRM")
        d.find_element(By.CSS_SELECTOR, '[data-scope="send"]').click()
        d.find_element(By.CSS_SELECTOR, "[data-testid=apikey-create]").click()
        key = WebDriverWait(d, 10).until(
            lambda x: x.find_element(By.CSS_SELECTOR, "[data-testid=apikey-key]").text
        )
        return str(key)

    await run(page.go, "#/api-keys")
    await run(page.wait_view, "apikeys")
    key = await run(create_key, chrome)
    used = await client.get("/api/whatsapp/sessions", headers={"X-Api-Key": key})
    assert used.status == 200

    def revoke(d: webdriver.Chrome) -> str:
        d.execute_script("window.confirm = () => true")
        d.find_element(By.CSS_SELECTOR, "[data-testid=apikey-revoke]").click()
        return str(
            WebDriverWait(d, 10).until(
                lambda x: x.find_element(
                    By.CSS_SELECTOR, '[data-testid=apikey-row][data-revoked="true"]'
                ).get_attribute("data-key-id")
            )
        )

    assert await run(revoke, chrome)
    assert (await client.get("/api/whatsapp/sessions", headers={"X-Api-Key": key})).status == 401
    assert await run(page.console_errors) == []
