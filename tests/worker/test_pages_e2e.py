"""The page objects against the simulator in a real Chromium, on both page profiles."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium.webdriver.common.by import By

from shared.settings import Settings
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker.browser import actions, pages
from worker.browser.actions import PageError
from worker.browser.chromium import LOCALE
from worker.browser.pages import Screen, Snapshot
from worker.browser.profile import ensure_profile_dir
from worker.browser.selectors import SELECTORS
from worker.browser.thread import BrowserThread
from worker.browser.times import TimeReader

pytestmark = pytest.mark.e2e
T = TypeVar("T")
PROFILES = ("2026", "legacy")


@dataclass
class Page:
    browser: BrowserThread
    sim: SimClient
    wa_url: str
    profile: str
    phone: str = ""

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.browser.call(fn, *args)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        return await self.sim._req("POST", path, body)


async def _until(check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 30) -> T:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                got = await check()
                if got:
                    return got
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def _screen(page: Page, *screens: Screen) -> Snapshot:
    async def look() -> Snapshot | None:
        snap = await page.call(pages.snapshot)
        return snap if snap.screen in screens else None

    return await _until(look, f"screen {screens}")


async def _settled(page: Page) -> Snapshot:
    """The ready screen with every known popup dismissed (the 2026 page greets new devices)."""

    async def look() -> Snapshot | None:
        snap = await page.call(pages.snapshot)
        if snap.dialog and snap.dialog.known:
            await page.call(actions.press_dialog_button, snap.dialog.known.button)
            return None
        return snap if snap.screen is Screen.READY and snap.dialog is None else None

    return await _until(look, "a settled ready screen")


@pytest.fixture(params=PROFILES)
async def page(
    request: pytest.FixtureRequest, sim: SimClient, sim_url: str, settings: Settings, tmp_path: Path
) -> AsyncIterator[Page]:
    await sim.config(pageProfile=request.param)
    cfg = settings.model_copy(update={"wa_url": sim_url, "profile_dir": tmp_path})
    browser = BrowserThread()
    await browser.start(cfg, ensure_profile_dir(tmp_path, str(uuid.uuid4())))
    try:
        await browser.call(actions.open_home, sim_url)
        yield Page(browser, sim, sim_url, request.param)
    finally:
        await browser.close()


@pytest.fixture
async def linked(page: Page) -> Page:
    qr = await _screen(page, Screen.QR)
    page.phone = unique_phone()
    assert qr.qr_ref
    await page.sim.link(qr.qr_ref, page.phone, "Page Test")
    ready = await _screen(page, Screen.READY)
    assert ready.phone == page.phone
    if page.profile == "2026":  # a new device is greeted with a popup first
        greeting = await _until(lambda: _dialog(page), "the greeting popup")
        assert greeting.known is not None and greeting.known.name == "fresh_look"
    await _settled(page)
    return page


async def _dialog(page: Page) -> pages.Dialog | None:
    return (await page.call(pages.snapshot)).dialog


async def test_own_name_from_the_header_or_the_profile_drawer(linked: Page) -> None:
    snap = await linked.call(pages.snapshot)
    if linked.profile == "2026":
        assert snap.display_name is None  # not in the side header any more
    assert await linked.call(actions.read_own_name, 5.0) == "Page Test"
    assert (await linked.call(pages.snapshot)).screen is Screen.READY


async def test_walks_the_virtualized_chat_list(linked: Page) -> None:
    await linked.sim.seed_chats(linked.phone, 60)
    await linked.call(actions.open_home, linked.wa_url)
    await _settled(linked)

    async def walk() -> list[pages.ListedChat] | None:  # the list fills in just after ready
        everything, drift = await linked.call(pages.list_chats, 100)
        assert drift == []
        return everything if len(everything) == 60 else None

    names = [c.name for c in await _until(walk, "60 chats in the list")]
    first, _ = await linked.call(pages.list_chats, 30)
    assert len(set(names)) == 60
    assert [c.name for c in first] == names[:30]  # newest activity first, same order
    rows = await linked.call(lambda d: len(d.find_elements(By.CSS_SELECTOR, SELECTORS["chatRow"])))
    assert rows <= 25


async def test_enter_sends_and_deep_links_open_new_chats(linked: Page) -> None:
    times = TimeReader(LOCALE)
    contact = unique_phone()
    title = await linked.call(actions.open_chat_by_phone, linked.wa_url, contact, 30.0)
    assert contact[-4:] in title.replace("-", "").replace(" ", "")
    row = await linked.call(actions.send_text, "typed 🚀\nwith Enter", times, True, 15.0)
    assert row.direction == "out"
    sent = await linked.sim.sent(linked.phone)
    assert [m["text"] for m in sent] == ["typed 🚀\nwith Enter"]
    assert sent[0]["messageId"].endswith(row.wa_msg_id)  # the bare id, in every profile
    assert abs(row.timestamp - datetime.now(UTC)) < timedelta(minutes=2)

    await linked.sim.inbound(linked.phone, contact, "got it", name="Dana")
    view = await _until(lambda: _rows_with(linked, "got it"), "the inbound row in the open chat")
    assert view.rows[-1].direction == "in" and view.rows[-1].sender
    assert view.drift == []
    if linked.profile == "legacy":  # the old ids say the chat; the 2026 ones do not
        assert view.chat_hints == [f"{contact}@c.us"]
    else:
        assert view.chat_hints == []


async def _rows_with(page: Page, text: str) -> pages.ChatView | None:
    view = await page.call(pages.read_open_chat, TimeReader(LOCALE))
    return view if any(r.body == text for r in view.rows) else None


async def test_invalid_number_raises_a_page_error(linked: Page) -> None:
    await linked.sim.config(invalidNumbers=["15550001234"])
    with pytest.raises(PageError) as err:
        await linked.call(actions.open_chat_by_phone, linked.wa_url, "15550001234", 30.0)
    assert err.value.reason == "invalid_number"
    snap = await linked.call(pages.snapshot)
    assert snap.dialog is None  # the popup was dismissed


async def test_menu_logout_unlinks_the_device(linked: Page) -> None:
    await linked.call(actions.logout, linked.wa_url, 10.0)
    snap = await _screen(linked, Screen.QR)
    assert snap.phone is None
    devices = [d for d in await linked.sim.devices() if d.get("phone") == linked.phone]
    assert all(d["status"] != "linked" for d in devices)
