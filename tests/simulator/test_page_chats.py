"""The linked page: sync, chat list, inbound messages, sending, acks, read marks, virtualization.

Tests marked ``BOTH`` run on the 2026 and the legacy page profile; the rest on 2026 (the default).
"""

from __future__ import annotations

import json
import re

import pytest
from selenium.webdriver.common.keys import Keys

from tests.simulator.conftest import BOTH
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import GRID, SYNC, SYNC_2026, WaWeb

pytestmark = pytest.mark.e2e

BOB = "4915112345678"
BOB_CHAT = f"{BOB}@c.us"


@BOTH
def test_scan_shows_sync_progress_then_the_chat_list(sim: SimControl, page: WaWeb) -> None:
    sim.post("/_sim/config", {"syncMs": 1500})
    page.open()
    device = sim.link(page.qr_ref(), PHONE, "Acme Support")
    assert device["status"] == "linked" and device["wid"] == f"{PHONE}:1@c.us"
    if page.profile == "legacy":
        label = page.wait(lambda d: page.text_of(SYNC) if "%" in page.text_of(SYNC) else None)
        assert re.fullmatch(r"Loading your chats \[\d{1,3}%\]", label)
    else:  # a <progress>, the title and a separate "NN%", no testid
        screen = page.wait(
            lambda d: page.text_of(SYNC_2026) if "%" in page.text_of(SYNC_2026) else None
        )
        assert re.search(r"^Loading your chats\n\d{1,3}%$", screen, re.M)
        assert page.find(f"{SYNC_2026} progress").get_attribute("max") == "100"
        assert not page.has("[data-testid]")
    page.wait_chat_list()
    if page.profile == "2026":
        page.click_dialog_button("Continue")  # the fresh-look greeting of a new device
        assert not page.has('[data-testid="profile-name"], [data-testid="intro"]')
    assert page.own_name() == "Acme Support"
    assert json.loads(page.local_storage("last-wid-md") or "null") == f"{PHONE}:1@c.us"
    assert page.local_storage("last-wid-md") == f'"{PHONE}:1@c.us"'
    noise = json.loads(page.local_storage("WANoiseInfo") or "{}")
    assert noise["deviceId"] == device["deviceId"]
    assert page.find(GRID).get_attribute("aria-rowcount") == "0"


@BOTH
def test_inbound_message_shows_in_the_list_and_in_the_open_chat(
    sim: SimControl, linked: WaWeb
) -> None:
    first = sim.inbound("Hello, is the shop open?", BOB, name="Bob")
    row = linked.wait_row("Bob")
    assert row == {
        "name": "Bob",
        "preview": "Hello, is the shop open?",
        "unread": "1 unread message",
        "badge": "1",
    }
    assert linked.wait(lambda d: d.title == "(1) WhatsApp")
    sim.inbound("Anyone?", BOB)
    assert (
        linked.wait_row("Bob", lambda r: r["unread"] == "2 unread messages")["preview"] == "Anyone?"
    )

    linked.open_chat("Bob")
    msgs = linked.wait(lambda d: linked.messages() if len(linked.messages()) == 2 else None)
    assert first["messageId"] == f"false_{BOB_CHAT}_{first['id']}"
    if linked.profile == "legacy":
        assert msgs[0]["id"] == first["dataId"] == first["messageId"]
        assert re.fullmatch(r"\[\d\d:\d\d, \d{1,2}/\d{1,2}/\d{4}\] Bob: ", msgs[0]["pre"])
    else:  # a bare id; headless Chromium speaks en-US: 12 h, M/D/YYYY
        assert msgs[0]["id"] == first["dataId"] == first["id"]
        assert re.fullmatch(r"\[\d{1,2}:\d\d [AP]M, \d{1,2}/\d{1,2}/\d{4}\] Bob: ", msgs[0]["pre"])
    assert [(m["text"], m["out"], m["icon"]) for m in msgs] == [
        ("Hello, is the shop open?", False, None),
        ("Anyone?", False, None),
    ]
    # opening the chat marked everything read, on the page and for the contact's phone
    linked.wait_row("Bob", lambda r: r["unread"] is None)
    assert {m["ack"] for m in sim.messages(BOB_CHAT)} == {"read"}

    live = sim.inbound("multi\nline 😀", BOB)
    got = linked.wait_message(lambda m: m["id"] == live["dataId"])
    assert got["text"] == "multi\nline 😀"
    assert sim.messages(BOB_CHAT)[-1]["ack"] == "read"  # arrived in the open chat: read at once


def test_enter_and_send_button_both_send_including_emoji_and_newlines(
    sim: SimControl, linked: WaWeb
) -> None:
    sim.inbound("hi", BOB, name="Bob")
    linked.open_chat("Bob")
    assert not linked.has('#main footer button[aria-label="Send"]')  # mic until there is text

    linked.type_keys("typed with keys")
    linked.press_enter()
    linked.type_keys("line one")
    linked.shift_enter()
    linked.type_keys("line two")
    assert linked.compose_text().strip() == "line one\nline two"
    linked.press_enter()
    linked.insert_text("emoji 😀🎉 via CDP\nsecond line")
    linked.click_send()
    linked.insert_text("worker style 🙂")
    linked.find('#main footer div[contenteditable="true"]').send_keys(Keys.SHIFT, Keys.ENTER)
    linked.insert_text("next line")
    linked.click_send()
    linked.driver.execute_script(
        "arguments[0].focus(); document.execCommand('insertText', false, arguments[1])",
        linked.find('#main footer div[contenteditable="true"]'),
        "inserted 🚀",
    )
    linked.press_enter()
    linked.driver.execute_script(
        "const data = new DataTransfer(); data.setData('text/plain', arguments[1]);"
        "const paste = new ClipboardEvent('paste', {clipboardData: data, bubbles: true});"
        "arguments[0].dispatchEvent(paste)",
        linked.find('#main footer div[contenteditable="true"]'),
        "pasted 📦\ntwo lines",
    )
    linked.click_send()

    expected = [
        "typed with keys",
        "line one\nline two",
        "emoji 😀🎉 via CDP\nsecond line",
        "worker style 🙂\nnext line",
        "inserted 🚀",
        "pasted 📦\ntwo lines",
    ]
    sent = linked.wait(lambda d: sim.sent() if len(sim.sent()) == 6 else None)
    assert [s["text"] for s in sent] == expected
    assert {(s["chatId"], s["to"]) for s in sent} == {(BOB_CHAT, BOB)}
    assert all(re.fullmatch(rf"true_{BOB_CHAT}_3EB0[0-9A-F]{{16}}", s["messageId"]) for s in sent)
    assert [s["messageId"].split("_")[-1] for s in sent] == [s["id"] for s in sent]
    rows = linked.wait(
        lambda d: [m for m in linked.messages() if m["out"] and m["icon"] == "msg-check"] or None
    )
    assert [r["text"] for r in linked.messages() if r["out"]] == expected
    assert rows[0]["label"] == " Sent "
    assert rows[0]["pre"].endswith("] Acme Support: ")
    assert linked.compose_text().strip() == ""
    assert linked.wait_row("Bob")["preview"] == "pasted 📦\ntwo lines"


@BOTH
def test_acks_progress_from_sent_to_delivered_to_read(sim: SimControl, linked: WaWeb) -> None:
    sim.inbound("hi", BOB, name="Bob")
    linked.open_chat("Bob")
    linked.type_keys("order #42 is ready")
    linked.press_enter()
    message_id = linked.wait(lambda d: sim.sent()[0]["messageId"] if sim.sent() else None)
    data_id = message_id if linked.profile == "legacy" else sim.sent()[0]["id"]

    def ack() -> tuple[str | None, str | None]:
        mine = linked.wait_message(lambda m: m["id"] == data_id)
        return mine["icon"], mine["label"]

    linked.wait(lambda d: ack() == ("msg-check", " Sent "))
    sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": message_id, "ack": "delivered"})
    linked.wait(lambda d: ack() == ("msg-dblcheck", "Delivered"))
    sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": message_id, "ack": "read"})
    linked.wait(lambda d: ack() == ("msg-dblcheck", "Read"))
    # acks never go backwards
    back = sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": message_id, "ack": "delivered"})
    assert back["ack"] == "read"


def test_send_failure_injection_shows_msg_failed(sim: SimControl, linked: WaWeb) -> None:
    sim.inbound("hi", BOB, name="Bob")
    linked.open_chat("Bob")
    sim.post("/_sim/config", {"sendFails": True})
    linked.type_keys("this will fail")
    linked.press_enter()
    failed = linked.wait_message(lambda m: m["out"] and m["icon"] == "msg-failed")
    assert failed["text"] == "this will fail"
    assert sim.sent() == []


@BOTH
def test_chat_list_is_virtualized_with_200_chats(sim: SimControl, linked: WaWeb) -> None:
    sim.post(f"/_sim/accounts/{PHONE}/seed-chats", {"count": 200})
    linked.wait(lambda d: linked.find(GRID).get_attribute("aria-rowcount") == "200")
    rows = linked.wait(lambda d: linked.chat_rows() or None)
    assert 8 <= len(rows) <= 25
    assert rows[0]["name"] == "Contact 200"  # newest activity first
    pane = linked.find("#pane-side")
    # a script that scrolls and reads in one go sees the new window (rows render in the handler)
    names = linked.driver.execute_script(
        "const pane = arguments[0]; pane.scrollTop = 100 * 72;"
        "pane.dispatchEvent(new Event('scroll'));"
        "return [...pane.querySelectorAll(arguments[1] + ' span[title]')].map(s => s.title);",
        pane,
        linked.row,
    )
    assert "Contact 100" in names and "Contact 200" not in names
    linked.driver.execute_script("arguments[0].scrollTop = arguments[0].scrollHeight", pane)
    linked.wait_row("Contact 001")
    assert len(linked.all(linked.row)) <= 25
    other_role = "listitem" if linked.profile == "2026" else "row"
    assert not linked.has(f'#pane-side [role="{other_role}"]')
    assert "Contact 200" not in {r["name"] for r in linked.chat_rows()}
    linked.open_chat("Contact 001")
    assert linked.wait_message(lambda m: True)["text"] == "Hello from contact 1"
