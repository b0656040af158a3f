"""A module bridge that breaks at run time (a wa-js function gone, or WPP gone) is replaced by the
page bridge: the session stays linked, nothing is sent twice, the failure is counted and shown
(a runtime in this process, real Chromium, Redis, Postgres and simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import jobs
from shared.db.repos import chats, messages, sessions
from shared.db.types import Message, WaSession
from shared.settings import Settings
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.runtime import Running, linked_runtime, until
from tests.support.sim import SimClient
from tests.support.stack import unique_phone

pytestmark = pytest.mark.e2e


@pytest.fixture
async def running(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    tmp_path: Path,
) -> AsyncIterator[Running]:
    company = await make_company()
    await sim.config(bridge="on")
    async with linked_runtime(
        settings, sim, pg, redis, company.id, tmp_path, wa_url=sim_url, bridge="module"
    ) as running:
        yield running


def _break(script: str) -> Any:
    def run(driver: Any) -> None:
        driver.execute_script(script)

    return run


async def _session(r: Running) -> WaSession:
    async with r.pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=r.session_id)
    assert row is not None
    return row


async def _bodies(r: Running, wa_chat_id: str) -> list[str]:
    async with r.pg.connection() as conn:
        chat = await chats.worker_get_by_wa_id(conn, session_id=r.session_id, wa_chat_id=wa_chat_id)
        if chat is None:
            return []
        found = await messages.list_for_chat(
            conn, company_id=r.company_id, session_id=r.session_id, chat_id=chat.id, limit=20
        )
    return [m.body for m in found]


async def _reply(r: Running, wa_chat_id: str, body: str) -> Message | None:
    async with r.pg.connection() as conn:
        chat = await chats.worker_get_by_wa_id(conn, session_id=r.session_id, wa_chat_id=wa_chat_id)
        assert chat is not None
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=r.session_id,
            chat_id=chat.id,
            client_msg_id=body,
            body=body,
            sent_by_user_id=None,
        )
    await r.runtime.send_text(
        jobs.SendText(
            session_id=r.session_id,
            message_id=msg.id,
            client_msg_id=body,
            body=body,
            wa_chat_id=wa_chat_id,
        )
    )
    async with r.pg.connection() as conn:
        return await messages.worker_get(conn, session_id=r.session_id, message_id=msg.id)


async def test_a_missing_wa_js_function_falls_back_to_the_page(running: Running) -> None:
    r = running
    assert (await _session(r)).bridge == "module"
    ann = unique_phone()
    await r.sim.inbound(r.phone, ann, "hello", name="Ann")

    async def stored(body: str) -> bool:
        return body in await _bodies(r, f"{ann}@c.us")

    await until(lambda: stored("hello"), "the first message")

    # a wa-js release without sendTextMessage: the send goes through the page instead, once
    await r.browser.call(_break("window.WPP.chat.sendTextMessage = undefined;"))
    sent = await _reply(r, f"{ann}@c.us", "answered through the page")
    assert sent is not None and sent.status in ("sent", "delivered", "read"), sent
    at_contact = [m["text"] for m in await r.sim.sent(r.phone)]
    assert at_contact == ["answered through the page"]

    session = await _session(r)
    assert (session.bridge, session.state, session.phone) == ("page", "ready", r.phone)
    counted: Any = r.redis.hget(NAMES.drift_counts, "module_bridge_failed")  # loosely typed
    assert await counted == b"1"

    async def drift() -> bool:
        return "module_bridge_failed" in (await _session(r)).page_drift

    await until(drift, "module_bridge_failed on the session", 15)
    # the page bridge reads what comes next
    await r.sim.inbound(r.phone, ann, "still here?", name="Ann")
    await until(lambda: stored("still here?"), "a message read from the page")


async def test_wpp_gone_for_good_falls_back_too(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    tmp_path: Path,
) -> None:
    company = await make_company()
    await sim.config(bridge="on")
    async with linked_runtime(
        settings,
        sim,
        pg,
        redis,
        company.id,
        tmp_path,
        wa_url=sim_url,
        bridge="module",
        bridge_ready_s=1.0,
    ) as r:
        await r.browser.call(_break("window.WPP = undefined;"))

        async def on_page() -> bool:
            return (await _session(r)).bridge == "page"

        await until(on_page, "the page bridge", 20)
        session = await _session(r)
        assert session.state == "ready"
        bob = unique_phone()
        await r.sim.inbound(r.phone, bob, "after the fallback", name="Bob")

        async def stored() -> bool:
            return await _bodies(r, f"{bob}@c.us") == ["after the fallback"]

        await until(stored, "Bob's message read from the page")
