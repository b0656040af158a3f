"""The 2026 page: row ids of every form, locale times, @lid contacts, drawers, late rows."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.common.by import By

from simulator import ids
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import DIALOG, INFO_DRAWER, MAIN_TITLE, WaWeb

pytestmark = pytest.mark.e2e

BOB = "4915112345678"
CAROL = "15550002222"
GROUP = "120363000001-1600000000"


def stamp(ts: int, locale: str) -> str:
    """What the page must write for ``ts`` (the browser and the tests share the time zone)."""
    t = time.localtime(ts)
    if locale == "en-US":
        hour = t.tm_hour % 12 or 12
        half = "AM" if t.tm_hour < 12 else "PM"
        return f"{hour}:{t.tm_min:02d} {half}, {t.tm_mon}/{t.tm_mday}/{t.tm_year}"
    sep = "." if locale == "ru-RU" else "/"  # as Chromium writes short dates per locale
    return f"{t.tm_hour:02d}:{t.tm_min:02d}, {t.tm_mday:02d}{sep}{t.tm_mon:02d}{sep}{t.tm_year}"


@pytest.mark.parametrize(
    ("locale", "shown"), [("auto", "en-US"), ("en-GB", "en-GB"), ("ru-RU", "ru-RU")]
)
def test_rows_carry_every_id_form_and_locale_times(
    sim: SimControl, linked: WaWeb, locale: str, shown: str
) -> None:
    sim.post("/_sim/config", {"locale": locale})
    linked.driver.refresh()  # the locale is fixed when the page loads
    linked.wait_chat_list()
    bare = sim.inbound("bare id", BOB, name="Bob")
    legacy = sim.inbound("legacy id", BOB, idForm="legacy")
    opaque = sim.inbound("opaque id", BOB, idForm="opaque")
    unread = {"auto": "3 unread messages", "en-GB": "3 unread messages"}
    label = unread.get(locale, "3 непрочитанных сообщения")
    assert linked.wait_row("Bob", lambda r: r["badge"] == "3")["unread"] == label

    linked.open_chat("Bob")
    rows = linked.wait(lambda d: linked.messages() if len(linked.messages()) == 3 else None)
    assert [r["id"] for r in rows] == [bare["id"], legacy["messageId"], opaque["id"]]
    assert rows[1]["id"] == f"false_{BOB}@c.us_{legacy['id']}"
    assert re.fullmatch(r"wamid\.[A-Za-z0-9-]+", rows[2]["id"])
    stored = sim.messages(f"{BOB}@c.us")
    assert [r["pre"] for r in rows] == [f"[{stamp(m['ts'], shown)}] Bob: " for m in stored]
    assert [r["text"] for r in rows] == ["bare id", "legacy id", "opaque id"]
    assert not linked.has("#main span.selectable-text")  # 2026: the testid only

    linked.type_keys("own message")
    linked.press_enter()
    own = linked.wait_message(lambda m: m["out"] and m["icon"] == "msg-check")
    assert re.fullmatch(r"3EB0[0-9A-F]{16}", own["id"]) and own["id"] == sim.sent()[0]["id"]
    assert own["pre"].endswith("] Acme Support: ")


def test_group_rows_name_their_participant_by_number_or_lid(sim: SimControl, linked: WaWeb) -> None:
    team = {"id": GROUP, "name": "Team"}
    by_number = sim.inbound("hello", CAROL, group=team, idForm="legacy")
    by_lid = sim.inbound(
        "via lid", BOB, name="Bob", group={"id": GROUP}, idForm="legacy", via="lid"
    )
    linked.open_chat("Team")
    rows = linked.wait(lambda d: linked.messages() if len(linked.messages()) == 2 else None)
    gid = f"{GROUP}@g.us"
    assert [r["id"] for r in rows] == [
        f"false_{gid}_{by_number['id']}_{CAROL}@c.us",
        f"false_{gid}_{by_lid['id']}_{ids.lid_of(BOB)}",
    ]
    # an unknown sender shows as its formatted number; a named one by name
    assert rows[0]["pre"].endswith("] +1 555-000-2222: ")
    assert rows[1]["pre"].endswith("] Bob: ")
    linked.find("#main header").click()
    drawer = linked.find('div[role="region"][aria-label="Group info"]')
    assert "Group · 3 members" in drawer.text


def test_a_lid_and_a_number_of_one_person_are_one_chat(sim: SimControl, linked: WaWeb) -> None:
    lid = ids.lid_of(BOB)
    first = sim.inbound("from my lid", BOB, name="Bob", via="lid")
    assert first["chatId"] == lid
    sim.inbound("from my number", BOB)
    sim.inbound("from the lid again", lid)
    assert [r["name"] for r in linked.wait(lambda d: linked.chat_rows() or None)] == ["Bob"]
    linked.wait_row("Bob", lambda r: r["badge"] == "3")
    linked.open_chat("Bob")
    rows = linked.wait(lambda d: linked.messages() if len(linked.messages()) == 3 else None)
    assert [r["text"] for r in rows] == ["from my lid", "from my number", "from the lid again"]
    contacts = sim.get(f"/_sim/accounts/{PHONE}/contacts")
    assert contacts == [{"phoneJid": f"{BOB}@c.us", "lid": lid, "name": "Bob", "phoneKnown": True}]

    header = linked.find("#main header")
    assert "@" not in header.text and linked.find(MAIN_TITLE).get_attribute("title") == "Bob"
    header.click()
    drawer = linked.find('div[role="region"][aria-label="Contact info"]')
    assert "+49 1511 2345678" in drawer.text
    drawer.find_element(By.CSS_SELECTOR, 'div[role="button"][aria-label="Close"]').click()
    linked.wait_gone(INFO_DRAWER)
    linked.type_keys("answer to the lid chat")
    linked.press_enter()
    sent = linked.wait(lambda d: sim.sent() or None)
    assert [(s["to"], s["chatId"]) for s in sent] == [(BOB, lid)]


def test_a_lid_only_contact_has_no_number_in_contact_info(sim: SimControl, linked: WaWeb) -> None:
    sim.inbound("privacy first", BOB, name="Bob", via="lid")
    linked.open_chat("Bob")
    linked.find("#main header").click()
    drawer = linked.find('div[role="region"][aria-label="Contact info"]')
    assert "Bob" in drawer.text and "+49" not in drawer.text


def test_the_profile_drawer_holds_the_own_name(sim: SimControl, linked: WaWeb) -> None:
    assert not linked.has('[data-testid="profile-name"]')
    assert "Acme Support" not in linked.find("#side header").text
    assert linked.own_name() == "Acme Support"


def test_a_late_row_the_contact_already_has(sim: SimControl, linked: WaWeb) -> None:
    sim.inbound("hi", BOB, name="Bob")
    linked.open_chat("Bob")
    sim.post("/_sim/config", {"outgoingRowDelayMs": 3000})  # applies to the open page at once
    linked.type_keys("row shows late")
    linked.press_enter()
    sent = linked.wait(lambda d: sim.sent() or None)
    assert [s["text"] for s in sent] == ["row shows late"]  # the contact has it already
    assert not [m for m in linked.messages() if m["out"]]  # ... the row is not there yet
    sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": sent[0]["messageId"], "ack": "delivered"})
    row = linked.wait_message(lambda m: m["out"])
    assert (row["id"], row["text"]) == (sent[0]["id"], "row shows late")
    linked.wait_message(lambda m: m["out"] and m["label"] == "Delivered")


def test_the_fresh_look_popup_blocks_clicks_once_per_device(sim: SimControl, page: WaWeb) -> None:
    page.open()
    sim.link(page.qr_ref(), PHONE, "Acme Support")
    sim.inbound("hi", BOB, name="Bob")
    page.wait_row("Bob")
    popup = page.find(DIALOG)
    assert popup.text.startswith("A fresh look for WhatsApp Web")
    assert page.find(f'div[data-animate-modal-popup="true"] {DIALOG}')
    with pytest.raises(ElementClickInterceptedException):
        page.find(f'{page.row} span[title="Bob"]').click()
    page.driver.refresh()  # not dismissed: it comes back
    page.wait_chat_list()
    page.click_dialog_button("Continue")
    page.wait_gone(DIALOG)
    page.open_chat("Bob")
    page.driver.refresh()
    page.wait_chat_list()
    page.wait_row("Bob")
    assert not page.has(DIALOG)


@pytest.mark.parametrize(
    ("body", "text", "button"),
    [
        ({"kind": "whats_new"}, "What's new in WhatsApp Web", "Got it"),
        ({"kind": "notice", "text": "Maintenance tonight"}, "Maintenance tonight", "OK"),
        ({"kind": "unknown"}, "Review our updated terms to keep using WhatsApp Web.", "Review"),
        ({"kind": "unknown", "text": "Something new", "button": "Agree"}, "Something new", "Agree"),
    ],
)
def test_dialogs_on_demand_block_until_their_button(
    sim: SimControl, linked: WaWeb, body: dict[str, Any], text: str, button: str
) -> None:
    sim.inbound("hi", BOB, name="Bob")
    linked.wait_row("Bob")
    shown = sim.post(f"/_sim/accounts/{PHONE}/dialog", body)
    assert shown["tabs"] == 1
    assert text in linked.dialog_text()
    with pytest.raises(ElementClickInterceptedException):
        linked.find(f'{linked.row} span[title="Bob"]').click()
    linked.click_dialog_button(button)
    linked.wait_gone(DIALOG)
    linked.open_chat("Bob")
