"""Session life on the page: deep links, conflict, logout, reopening a profile, network loss."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.simulator.conftest import BOTH, DriverFactory, quit_driver
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import BANNER, COMPOSE, DIALOG, MAIN_TITLE, PANE, QR_BOX, WaWeb

pytestmark = pytest.mark.e2e

INVALID = "Phone number shared via url is invalid."
CONFLICT = 'WhatsApp is open in another window. Click "Use here" to use WhatsApp in this window.'


def test_invalid_deep_links_show_the_popup(sim: SimControl, linked: WaWeb) -> None:
    sim.post("/_sim/config", {"invalidNumbers": ["+4915100000000"]})
    for phone in ("12345", "not-a-number", "4915100000000"):  # too short, junk, not on WhatsApp
        linked.open(f"/send?phone={phone}&text=hello")
        assert linked.dialog_text().startswith(INVALID), phone
        linked.click_dialog_button("OK")
        linked.wait_gone(DIALOG)
        assert not linked.has(COMPOSE)


def test_deep_link_opens_a_new_chat_with_the_text_ready_to_send(
    sim: SimControl, linked: WaWeb
) -> None:
    text = "Your order ships today 🚚\nThanks!"
    linked.open(f"/send?phone=+447700900123&text={quote(text)}")
    linked.wait(lambda d: linked.has(COMPOSE) and linked.compose_text().strip() == text)
    assert linked.find(MAIN_TITLE).get_attribute("title") == "+447700900123"
    assert linked.driver.current_url.endswith("/")
    assert sim.sent() == []  # not sent until the user presses Enter
    linked.press_enter()
    sent = linked.wait(lambda d: sim.sent() or None)
    assert [(s["to"], s["text"]) for s in sent] == [("447700900123", text)]
    assert linked.wait_row("+447700900123")["preview"] == text


def test_conflict_modal_and_use_here(sim: SimControl, linked: WaWeb) -> None:
    sim.post(f"/_sim/accounts/{PHONE}/conflict")
    assert linked.dialog_text().startswith(CONFLICT)
    assert not sim.get("/_sim/devices")[0]["connected"]
    sim.inbound("while you were away", "4915112345678", name="Bob")  # not pushed to this tab
    linked.click_dialog_button("Use here")
    linked.wait_gone(DIALOG)
    assert linked.wait_row("Bob")["preview"] == "while you were away"
    assert sim.get("/_sim/devices")[0]["connected"]


def test_second_tab_gets_the_modal_and_use_here_moves_the_session(
    sim: SimControl, linked: WaWeb
) -> None:
    first = linked.driver.current_window_handle
    linked.driver.switch_to.new_window("tab")
    linked.open()
    assert linked.dialog_text().startswith(CONFLICT)
    linked.click_dialog_button("Use here")
    linked.wait_chat_list()
    linked.driver.switch_to.window(first)
    assert linked.dialog_text().startswith(CONFLICT)
    assert linked.has(PANE)


def test_reload_keeps_the_session_without_a_conflict(sim: SimControl, linked: WaWeb) -> None:
    for _ in range(3):
        linked.driver.refresh()
        linked.wait_chat_list()
        assert not linked.has(DIALOG) and not linked.has(QR_BOX)


def test_logout_from_the_phone_returns_to_a_fresh_qr_and_clears_the_keys(
    sim: SimControl, linked: WaWeb
) -> None:
    assert linked.local_storage("WANoiseInfo")
    result = sim.post(f"/_sim/accounts/{PHONE}/unlink")
    assert len(result["unlinked"]) == 1
    linked.wait(lambda d: "post_logout=1" in d.current_url)
    ref = linked.qr_ref()
    assert linked.local_storage("WANoiseInfo") is None
    assert linked.local_storage("last-wid-md") is None
    assert [d["status"] for d in sim.get("/_sim/devices")] == ["pending"]
    assert sim.get("/_sim/devices")[0]["qrRef"] == ref


def test_log_out_from_the_computer_menu_unlinks_the_device(sim: SimControl, linked: WaWeb) -> None:
    linked.find('#side header [role="button"] span[data-icon="menu"]').click()
    linked.find('[role="application"] li [role="button"][aria-label="Log out"]').click()
    assert linked.dialog_text().startswith("Log out?")
    linked.click_dialog_button("Log out")
    linked.wait(lambda d: "post_logout=1" in d.current_url)
    ref = linked.qr_ref()
    assert linked.local_storage("last-wid-md") is None
    assert [(d["status"], d["qrRef"]) for d in sim.get("/_sim/devices")] == [("pending", ref)]
    assert sim.get("/_sim/accounts")[0]["devices"] == []


def test_messages_sent_while_the_browser_was_closed_show_after_reopening(
    sim: SimControl, make_driver: DriverFactory, profile_dir: Path
) -> None:
    page = WaWeb(make_driver(profile_dir), sim.base_url)
    page.open()
    sim.link(page.qr_ref(), PHONE, "Acme Support")
    page.wait_chat_list()
    wid = page.local_storage("last-wid-md")
    quit_driver(page.driver)
    sim.eventually(lambda: sim.get("/_sim/devices")[0]["connected"] is False)
    sim.inbound("sent while you were closed", "4915112345678", name="Bob")

    again = WaWeb(make_driver(profile_dir), sim.base_url)
    again.open()
    row = again.wait_row("Bob")
    assert row["unread"] == "1 unread message" and row["preview"] == "sent while you were closed"
    assert not again.has(QR_BOX)
    assert again.local_storage("last-wid-md") == wid
    assert json.loads(wid or "null").startswith(f"{PHONE}:")


@BOTH
def test_network_cut_shows_the_banner_and_holds_traffic_until_restored(
    sim: SimControl, linked: WaWeb
) -> None:
    sim.inbound("before the cut", "4915112345678", name="Bob")
    linked.open_chat("Bob")
    sim.post(f"/_sim/accounts/{PHONE}/network", {"online": False})
    assert "Computer not connected" in linked.find(BANNER).find_element("xpath", "..").text
    testid = linked.has('#side [data-testid="offline-banner"]')
    assert testid is (linked.profile == "legacy")  # the 2026 banner has the icon, no testid
    linked.type_keys("queued while offline")
    linked.press_enter()
    queued = linked.wait_message(lambda m: m["out"])
    assert queued["icon"] == "msg-time"
    held = sim.inbound("held inbound", "4915112345678")
    assert sim.sent() == []
    assert all(m["messageId"] != held["messageId"] for m in sim.messages("4915112345678@c.us"))

    sim.post(f"/_sim/accounts/{PHONE}/network", {"online": True})
    linked.wait_gone(BANNER)
    linked.wait_message(lambda m: m["id"] == queued["id"] and m["icon"] == "msg-check")
    linked.wait_message(lambda m: m["id"] == held["dataId"])
    assert [s["text"] for s in sim.sent()] == ["queued while offline"]
