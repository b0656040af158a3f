"""The page objects against the simulator in a real Chromium (the worker's browser layer)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from selenium.webdriver.common.by import By

from shared.settings import Settings
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker.browser import pages
from worker.browser.pages import PageError, Screen, Snapshot
from worker.browser.profile import ensure_profile_dir
from worker.browser.thread import BrowserThread

pytestmark = pytest.mark.e2e
T = TypeVar("T")


@dataclass
class Linked:
    browser: BrowserThread
    phone: str
    sim: SimClient
    wa_url: str


async def _until(check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 30) -> T:
    async with asyncio.timeout(timeout_s):
        while True:
            got = await check()
            if got:
                return got
            await asyncio.sleep(0.1)
    raise AssertionError(what)  # pragma: no cover  (timeout raises first)


async def _screen(browser: BrowserThread, screen: Screen) -> Snapshot:
    async def look() -> Snapshot | None:
        snap = await browser.call(pages.snapshot)
        return snap if snap.screen is screen else None

    return await _until(look, f"screen {screen}")


@pytest.fixture
async def linked(
    sim: SimClient, sim_url: str, settings: Settings, tmp_path: Path
) -> AsyncIterator[Linked]:
    cfg = settings.model_copy(update={"wa_url": sim_url, "profile_dir": tmp_path})
    browser = BrowserThread()
    await browser.start(cfg, ensure_profile_dir(tmp_path, str(uuid.uuid4())))
    try:
        await browser.call(pages.open_home, sim_url)
        qr = await _screen(browser, Screen.QR)
        phone = unique_phone()
        assert qr.qr_ref
        await sim.link(qr.qr_ref, phone, "Page Test")
        ready = await _screen(browser, Screen.READY)
        assert (ready.phone, ready.display_name) == (phone, "Page Test")
        yield Linked(browser, phone, sim, sim_url)
    finally:
        await browser.close()


async def test_walks_the_virtualized_chat_list(linked: Linked) -> None:
    await linked.sim.seed_chats(linked.phone, 60)
    await linked.browser.call(pages.open_home, linked.wa_url)
    await _screen(linked.browser, Screen.READY)
    first = await linked.browser.call(pages.list_chats, 30)
    everything = await linked.browser.call(pages.list_chats, 100)
    names = [c.name for c in everything]
    assert len(names) == 60 and len(set(names)) == 60
    assert [c.name for c in first] == names[:30]  # newest activity first, same order
    rows = await linked.browser.call(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, pages.Sel.CHAT_ROW))
    )
    assert rows <= 25


async def test_enter_sends_and_deep_links_open_new_chats(linked: Linked) -> None:
    contact = unique_phone()
    title = await linked.browser.call(pages.open_chat_by_phone, linked.wa_url, contact, 30.0)
    assert contact in title
    row = await linked.browser.call(pages.send_text, "typed 🚀\nwith Enter", True, 15.0)
    assert row.direction == "out" and row.wa_chat_id == f"{contact}@c.us"
    sent = await linked.sim.sent(linked.phone)
    assert [m["text"] for m in sent] == ["typed 🚀\nwith Enter"]

    await linked.sim.inbound(linked.phone, contact, "got it", name="Dana")
    view = await _until(
        lambda: _rows_with(linked.browser, "got it"), "the inbound row in the open chat"
    )
    assert view.rows[-1].direction == "in" and view.rows[-1].sender


async def _rows_with(browser: BrowserThread, text: str) -> pages.ChatView | None:
    view = await browser.call(pages.read_open_chat)
    return view if any(r.body == text for r in view.rows) else None


async def test_invalid_number_raises_a_page_error(linked: Linked) -> None:
    await linked.sim.config(invalidNumbers=["15550001234"])
    with pytest.raises(PageError) as err:
        await linked.browser.call(pages.open_chat_by_phone, linked.wa_url, "15550001234", 30.0)
    assert err.value.reason == "invalid_number"
    snap = await linked.browser.call(pages.snapshot)
    assert snap.dialog is None  # the popup was dismissed


async def test_menu_logout_unlinks_the_device(linked: Linked) -> None:
    await linked.browser.call(pages.logout, linked.wa_url, 10.0)
    snap = await _screen(linked.browser, Screen.QR)
    assert snap.phone is None
    devices = [d for d in await linked.sim.devices() if d.get("phone") == linked.phone]
    assert all(d["status"] != "linked" for d in devices)
