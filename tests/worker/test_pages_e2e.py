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
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By

from shared.settings import Settings
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker.browser import actions, pages
from worker.browser.chromium import LOCALE
from worker.browser.drift import DriftKind
from worker.browser.errors import PageError
from worker.browser.observed import Dialog, Screen
from worker.browser.pages import Snapshot
from worker.browser.profile import ensure_profile_dir
from worker.browser.selectors import SELECTORS
from worker.browser.thread import BrowserThread
from worker.browser.times import TimeReader

pytestmark = pytest.mark.e2e
T = TypeVar("T")
PROFILES = ("2026", "legacy")
VERA = "Вера"  # noqa: RUF001 - a Cyrillic name on purpose


@dataclass
class Page:
    browser: BrowserThread
    sim: SimClient
    wa_url: str
    profile: str
    phone: str = ""

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self.browser.call(fn, *args)

    async def reload(self, **config: Any) -> Snapshot:
        """Apply page settings that are fixed per page load (locale), then come back ready."""
        await self.sim.config(**config)
        await self.call(actions.open_home, self.wa_url)
        await _screen(self, Screen.READY)
        return await _settled(self)


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


async def _dialog(page: Page) -> Dialog | None:
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


async def _open(page: Page, name: str) -> pages.ChatView:
    await page.call(actions.open_chat_by_name, name, 10.0)
    return await page.call(pages.read_open_chat, TimeReader(LOCALE))


async def test_every_id_form_is_read_as_the_bare_id(linked: Page) -> None:
    contact = unique_phone()
    sent = [
        await linked.sim.inbound_message(linked.phone, contact, f"form {form}", "Ida", form)
        for form in ("bare", "legacy", "opaque")
    ]
    group = {"id": "120363000000000001", "name": "Team"}
    in_group = await linked.sim.inbound_message(
        linked.phone, contact, "in the group", "Ida", "legacy", "lid", group
    )
    view = await _until(lambda: _read_when(linked, "Ida", 3), "three rows from Ida", timeout_s=15)
    assert [r.wa_msg_id for r in view.rows] == [m["id"] for m in sent]
    assert [r.body for r in view.rows] == ["form bare", "form legacy", "form opaque"]
    assert view.drift == []
    if linked.profile == "2026":
        assert sent[0]["dataId"] == sent[0]["id"] and sent[1]["dataId"] != sent[1]["id"]
        assert view.chat_hints == [f"{contact}@c.us"]  # only the legacy-form row says it
    team = await _until(lambda: _read_when(linked, "Team", 1), "the group row", timeout_s=15)
    (row,) = team.rows
    assert row.wa_msg_id == in_group["id"] and team.chat_hints == ["120363000000000001@g.us"]
    lids = {c["lid"] for c in await linked.sim.contacts(linked.phone)}
    assert row.participant in lids or linked.profile == "legacy"


async def _read_when(page: Page, name: str, rows: int) -> pages.ChatView | None:
    try:
        view = await _open(page, name)
    except PageError:
        return None
    return view if len(view.rows) >= rows else None


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "ru-RU"])
async def test_times_in_12_and_24_hours(linked: Page, locale: str) -> None:
    await linked.reload(locale=locale)
    contact = unique_phone()
    sent = await linked.sim.inbound_message(linked.phone, contact, "what time is it", "Tim")
    view = await _until(lambda: _read_when(linked, "Tim", 1), "the row", timeout_s=15)
    pre = await linked.call(
        lambda d: d.execute_script(
            "return document.querySelector(arguments[0]).getAttribute('data-pre-plain-text')",
            SELECTORS["prePlain"],
        )
    )
    twelve_hours = linked.profile == "2026" and locale == "en-US"
    assert (" AM, " in pre or " PM, " in pre) is twelve_hours, pre
    (message,) = [m for m in await linked.sim.messages(linked.phone, sent["chatId"])]
    minute = datetime.fromtimestamp(message["ts"] // 60 * 60, UTC)
    reader = TimeReader(locale if linked.profile == "2026" else "en-GB")
    read = reader.read(pre)
    assert read.timestamp == minute and read.sender == "Tim"
    assert view.rows[0].timestamp == minute or locale != "en-US"  # the worker's own locale


async def test_popups_known_and_unknown(linked: Page) -> None:
    for kind, name, button in [
        ("whats_new", "whats_new", "Got it"),
        ("notice", "notice", "OK"),
    ]:
        await linked.sim.dialog(linked.phone, kind)
        shown = await _until(lambda: _dialog(linked), f"the {kind} popup")
        assert shown.known is not None and (shown.known.name, shown.known.button) == (name, button)
        assert await linked.call(actions.press_dialog_button, button)
        await _until(lambda: _no_dialog(linked), f"the {kind} popup to close")
    await linked.sim.dialog(linked.phone, "unknown")
    odd = await _until(lambda: _dialog(linked), "the unknown popup")
    assert odd.known is None and odd.buttons == ("Review",)
    assert "Review our updated terms" in odd.text
    # it blocks the page: a click on the app under it is intercepted
    with pytest.raises(WebDriverException) as blocked:
        await linked.call(actions.logout, linked.wa_url, 2.0)
    assert "intercepted" in str(blocked.value)


async def _no_dialog(page: Page) -> bool:
    return (await page.call(pages.snapshot)).dialog is None


async def test_chat_info_drawer_says_the_number_or_the_group(linked: Page) -> None:
    if linked.profile == "legacy":
        pytest.skip("the legacy page has no info drawer")
    contact = unique_phone()
    await linked.sim.inbound(linked.phone, contact, "hi", name="Nora")
    await _until(lambda: _read_when(linked, "Nora", 1), "Nora's chat")
    info = await linked.call(actions.read_chat_info, 5.0)
    assert (info.phone, info.is_group) == (contact, False)
    lid_only = unique_phone()
    await linked.sim.inbound(linked.phone, lid_only, "hello", name="Lee", via="lid")
    await _until(lambda: _read_when(linked, "Lee", 1), "Lee's chat")
    assert (await linked.call(actions.read_chat_info, 5.0)).phone is None  # number not known
    group = {"id": "120363000000000002", "name": "Crew"}
    await linked.sim.inbound(linked.phone, contact, "all", name="Nora", group=group)
    await _until(lambda: _read_when(linked, "Crew", 1), "the group")
    assert (await linked.call(actions.read_chat_info, 5.0)).is_group
    assert (await linked.call(pages.snapshot)).screen is Screen.READY


async def test_unread_badges_in_russian(linked: Page) -> None:
    if linked.profile == "legacy":
        pytest.skip("the legacy page labels badges in English")
    await linked.reload(locale="ru-RU")
    contact = unique_phone()
    for text in ("раз", "два", "три"):
        await linked.sim.inbound(linked.phone, contact, text, name=VERA)

    async def badge() -> Snapshot | None:
        snap = await linked.call(pages.snapshot)
        return snap if any(u.name == VERA and u.count == 3 for u in snap.unread) else None

    snap = await _until(badge, "a badge of 3")
    assert snap.drift == ()
    listed, drift = await linked.call(pages.list_chats, 10)
    assert [(c.name, c.unread) for c in listed if c.name == VERA] == [(VERA, 3)]
    assert drift == []


async def test_a_broken_row_is_drift_and_the_rest_is_read(linked: Page) -> None:
    contact = unique_phone()
    for text in ("one", "two"):
        await linked.sim.inbound(linked.phone, contact, text, name="Rob")
    await _until(lambda: _read_when(linked, "Rob", 2), "two rows")
    await linked.call(
        lambda d: d.execute_script(
            "const row = document.querySelector(arguments[0]).closest('[role=row]');"
            "const copy = row.cloneNode(true);"
            "copy.querySelector('[data-id]').setAttribute('data-id', 'not an id');"
            "row.parentElement.append(copy);",
            SELECTORS["messageRow"],
        )
    )
    view = await linked.call(pages.read_open_chat, TimeReader(LOCALE))
    assert [r.body for r in view.rows] == ["one", "two"]
    assert [d.kind for d in view.drift] == [DriftKind.ROW_UNPARSED]
    assert len(view.drift[0].excerpt) <= 40


async def test_a_late_outgoing_row_is_found_later(linked: Page) -> None:
    times = TimeReader(LOCALE)
    contact = unique_phone()
    await linked.call(actions.open_chat_by_phone, linked.wa_url, contact, 30.0)
    await linked.sim.config(outgoingRowDelayMs=1500)
    before = await linked.call(actions.type_and_send, "late row", False, 15.0)
    assert await linked.call(actions.wait_sent_row, "late row", before, times, 0.3) is None
    assert [m["text"] for m in await linked.sim.sent(linked.phone)] == ["late row"]
    row = await linked.call(actions.wait_sent_row, "late row", before, times, 10.0)
    assert row is not None and row.direction == "out"


@pytest.fixture
async def landing(page: Page) -> Page:
    await _screen(page, Screen.QR)
    return page


async def test_pairing_code_links_the_device(landing: Page) -> None:
    with pytest.raises(PageError) as refused:
        await landing.call(actions.request_link_code, landing.wa_url, "123", 15.0)
    assert refused.value.reason == "invalid_phone"
    phone = unique_phone()
    code = await landing.call(actions.request_link_code, landing.wa_url, phone, 15.0)
    assert len(code) == 8 and code.isalnum() and code.upper() == code
    snap = await landing.call(pages.snapshot)
    assert (snap.screen, snap.link_code) == (Screen.LINK_CODE, code)
    await landing.sim.link_code(code, phone, "By Code")
    ready = await _screen(landing, Screen.READY)
    assert ready.phone == phone


async def test_passkey_prompt_after_the_scan(landing: Page) -> None:
    await landing.sim.config(passkeyAfterScan=True)
    qr = await _screen(landing, Screen.QR)
    assert qr.qr_ref
    await landing.sim.link(qr.qr_ref, unique_phone(), "Key")
    snap = await _screen(landing, Screen.PASSKEY)
    assert snap.excerpt and "passkey" in snap.excerpt.lower()
