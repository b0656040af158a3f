"""The stand-in's messages against the control API: events, sends, acks, history, read marks."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import ids
from tests.simulator.conftest import BOTH
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import MESSAGE, WaWeb
from tests.simulator.wpp import Wpp

pytestmark = pytest.mark.e2e

ME = f"{PHONE}@c.us"
MY_LID = ids.lid_of(PHONE)
BOB = "4915112345678"
BOB_JID = f"{BOB}@c.us"
BOB_LID = ids.lid_of(BOB)
GROUP = "120363000001-1600000000@g.us"
SEND = "WPP.chat.sendTextMessage(arguments[0], arguments[1], {createChat: true})"


def wid(serialized: str | None) -> dict[str, Any] | None:
    """A Wid as the recorder describes it (``_serialized``, ``user``, ``server``, checks)."""
    if serialized is None:
        return None
    user, server = serialized.split("@")
    return {"_serialized": serialized, "user": user, "server": server, "text": serialized,
            "isLid": server == "lid", "isGroup": server == "g.us"}  # fmt: skip


def key(from_me: bool, remote: str, bare: str, participant: str | None = None) -> dict[str, Any]:
    serialized = f"{'true' if from_me else 'false'}_{remote}_{bare}"
    serialized += f"_{participant}" if participant else ""
    return {"_serialized": serialized, "id": bare, "fromMe": from_me, "remote": wid(remote),
            "participant": wid(participant), "text": serialized}  # fmt: skip


@BOTH
def test_inbound_arrives_as_new_message_under_a_number_a_lid_and_in_a_group(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    first = sim.inbound("Hallo 👋\nzweite Zeile", BOB, name="Bob")
    msg = wpp.wait_event("chat.new_message")
    assert msg == {
        "id": key(False, BOB_JID, first["id"]), "from": wid(BOB_JID), "to": wid(ME),
        "author": None, "t": msg["t"], "ack": 2, "type": "chat", "body": "Hallo 👋\nzweite Zeile",
        "notifyName": "Bob", "self": "in", "isNewMsg": True, "isGroupMsg": False,
    }  # fmt: skip
    stored = sim.messages(BOB_JID)[0]
    assert (stored["id"], stored["ts"], stored["ack"]) == (first["id"], msg["t"], "delivered")

    via_lid = sim.inbound("now from my lid", BOB, via="lid")
    msg = wpp.wait_event("chat.new_message")
    assert (msg["id"], msg["from"], msg["to"]) == (
        key(False, BOB_LID, via_lid["id"]),
        wid(BOB_LID),
        wid(MY_LID),
    )
    assert via_lid["chatId"] == BOB_JID  # one person, one chat
    entry = wpp.call("WPP.contact.getPnLidEntry(arguments[0])", BOB_LID)
    assert entry == {
        "lid": {"id": BOB_LID.split("@")[0], "server": "lid", "_serialized": BOB_LID},
        "phoneNumber": {"id": BOB, "server": "c.us", "_serialized": BOB_JID},
        "contact": {"name": "Bob", "pushname": "Bob"},
    }

    in_group = sim.inbound("hi all", BOB, group={"id": GROUP, "name": "Team"})
    msg = wpp.wait_event("chat.new_message")
    assert (msg["id"], msg["from"], msg["author"], msg["isGroupMsg"]) == (
        key(False, GROUP, in_group["id"], BOB_JID),
        wid(GROUP),
        wid(BOB_JID),
        True,
    )
    chat = wpp.value("__describeChat(WPP.chat.get(arguments[0]))", GROUP)
    assert (chat["name"], chat["isGroup"], chat["unreadCount"]) == ("Team", True, 1)
    assert chat["lastReceivedKey"] == msg["id"]


def test_a_contact_known_only_by_its_lid_has_no_number_until_it_writes_with_it(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    carol, carol_lid = "447700900123", ids.lid_of("447700900123")
    sim.inbound("hello from a lid", carol, via="lid")
    msg = wpp.wait_event("chat.new_message")
    assert (msg["from"], msg["id"]["remote"]) == (wid(carol_lid), wid(carol_lid))
    assert wpp.call("WPP.contact.getPnLidEntry(arguments[0])", carol_lid) == {
        "lid": {"id": carol_lid.split("@")[0], "server": "lid", "_serialized": carol_lid}
    }
    by_number = wpp.call("WPP.contact.getPnLidEntry(arguments[0])", f"{carol}@c.us")
    assert by_number["lid"]["_serialized"] == carol_lid  # the servers know every number's lid
    group = wpp.call("WPP.contact.getPnLidEntry(arguments[0])", GROUP)
    assert group["error"]["code"] == "invalid_wid"


@BOTH
def test_send_to_a_new_number_reaches_the_contact_with_events_and_acks(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    text = "Grüße 🎉\nline two\n\n  indented"
    result = wpp.call(SEND, "447700900123@c.us", text)
    bare = result["id"].split("_")[-1]
    assert result == {
        "id": f"true_447700900123@c.us_{bare}", "ack": 1, "from": ME, "to": "447700900123@c.us",
        "sendMsgResult": {"messageSendResult": "OK"},
    }  # fmt: skip
    assert bare.startswith("3EB0") and len(bare) == 20
    [sent] = sim.sent()
    assert (sent["id"], sent["to"], sent["text"]) == (bare, "447700900123", text)
    assert sent["ack"] == "sent"
    own = wpp.wait_event("chat.new_message")
    assert (own["id"], own["ack"], own["body"], own["self"]) == (
        key(True, "447700900123@c.us", bare),
        0,
        text,
        "out",
    )  # added with a clock first, like wa-js
    first = wpp.wait_event("chat.msg_ack_change")
    assert first == {"ack": 1, "chat": wid("447700900123@c.us"), "sender": None,
                     "ids": [key(True, "447700900123@c.us", bare)]}  # fmt: skip
    assert wpp.value("WPP.chat.get('447700900123@c.us').name") == "+447700900123"

    sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": bare, "ack": "read"})
    read = wpp.wait_event("chat.msg_ack_change")  # 1 -> 3: no 2 in between
    assert (read["ack"], read["chat"], read["ids"]) == (
        3,
        wid("447700900123@c.us"),
        [key(True, "447700900123@c.us", bare)],
    )
    sim.post(f"/_sim/accounts/{PHONE}/ack", {"messageId": bare, "ack": "delivered"})  # too late
    assert [e["arg"]["ack"] for e in wpp.events("chat.msg_ack_change")] == [1, 3]
    assert sim.sent()[0]["ack"] == "read"


def test_send_to_a_lid_chat_and_a_group_goes_out_under_the_own_lid(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    carol, carol_lid = "447700900123", ids.lid_of("447700900123")
    sim.inbound("hi, lid here", carol, via="lid")
    sim.inbound("group hello", BOB, group={"id": GROUP, "name": "Team"})
    wpp.until(lambda: wpp.value("!!WPP.chat.get(arguments[0])", GROUP))

    to_lid = wpp.call(SEND, carol_lid, "to your lid")
    assert (to_lid["from"], to_lid["to"], to_lid["ack"]) == (MY_LID, carol_lid, 1)
    to_group = wpp.call(SEND, GROUP, "to the group")
    bare = to_group["id"].split("_")[2]
    assert to_group["id"] == f"true_{GROUP}_{bare}_{MY_LID}"  # the key carries the participant
    assert (to_group["from"], to_group["to"]) == (MY_LID, GROUP)
    own = wpp.wait_event("chat.new_message", lambda m: m["body"] == "to the group")
    assert (own["author"], own["isGroupMsg"]) == (wid(MY_LID), True)
    sent = {s["text"]: (s["chatId"], s["to"]) for s in sim.sent()}
    assert sent == {"to your lid": (carol_lid, carol), "to the group": (GROUP, GROUP[:-5])}

    unknown = wpp.call(SEND, "120363999999-1600000000@g.us", "nobody")
    assert unknown["error"]["code"] == "chat_not_found"
    stranger = wpp.call(SEND, "123456789012345@lid", "nobody")
    assert stranger["error"]["code"] == "chat_not_found"
    assert len(sim.sent()) == 2


def test_send_honours_send_fails_invalid_numbers_and_marks_the_chat_read(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("are you there?", BOB)
    wpp.until(lambda: wpp.value("WPP.chat.get(arguments[0])?.unreadCount === 1", BOB_JID))
    ok = wpp.call(SEND, BOB_JID, "yes")
    assert ok["ack"] == 1
    assert sim.messages(BOB_JID)[0]["ack"] == "read"  # wa-js marks the chat read before sending
    assert wpp.value("WPP.chat.get(arguments[0]).unreadCount", BOB_JID) == 0

    sim.post("/_sim/config", {"invalidNumbers": ["447700900999", BOB]})
    new = wpp.call(SEND, "447700900999@c.us", "hello?")
    assert new["error"]["code"] == "chat_not_found"  # not on WhatsApp: no chat
    assert wpp.value("WPP.chat.get('447700900999@c.us')") is None
    existing = wpp.call(SEND, BOB_JID, "still there?")
    assert existing["ack"] == -1
    assert existing["sendMsgResult"] == {"messageSendResult": "ERROR_UNKNOWN"}
    sim.post("/_sim/config", {"invalidNumbers": [], "sendFails": True})
    failed = wpp.call(SEND, BOB_JID, "and now?")
    assert failed["ack"] == -1
    assert [m["ack"] for m in sim.messages(BOB_JID)[1:]] == ["sent", "failed", "failed"]
    assert [s["text"] for s in sim.sent()] == ["yes"]
    history = wpp.call("WPP.chat.getMessages(arguments[0], {count: 2})", BOB_JID)
    assert [m["ack"] for m in history] == [-1, -1]


def test_a_sent_row_shows_in_the_open_chat_like_a_typed_one(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("hello", BOB, name="Bob")
    wpp_linked.open_chat("Bob")
    sim.post("/_sim/config", {"outgoingRowDelayMs": 1500})
    result = wpp.call(SEND, BOB_JID, "late row")
    bare = result["id"].split("_")[-1]
    assert [s["id"] for s in sim.sent()] == [bare]  # at the contact at once
    assert bare not in [r["id"] for r in wpp_linked.messages()]  # the row comes later
    row = wpp_linked.wait_message(lambda m: m["id"] == bare)
    assert (row["text"], row["out"]) == ("late row", True)


def test_own_messages_typed_in_the_page_or_sent_from_the_phone_are_events(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("hello", BOB, name="Bob")
    wpp.wait_event("chat.new_message")
    wpp_linked.open_chat("Bob")
    wpp_linked.type_keys("typed here")
    wpp_linked.press_enter()
    typed = wpp.wait_event("chat.new_message")
    assert (typed["body"], typed["id"]["fromMe"], typed["ack"]) == ("typed here", True, 0)
    acked = wpp.wait_event("chat.msg_ack_change")
    assert (acked["ack"], acked["ids"]) == (1, [typed["id"]])

    phone = sim.post(f"/_sim/accounts/{PHONE}/outbound", {"to": BOB, "text": "from my phone"})
    mine = wpp.wait_event("chat.new_message")
    assert (mine["id"], mine["ack"], mine["from"]) == (key(True, BOB_JID, phone["id"]), 1, wid(ME))
    assert [s["text"] for s in sim.sent()] == ["typed here"]  # /sent: what left this computer
    wpp_linked.wait_message(lambda m: m["id"] == phone["id"] and m["out"])


def test_get_messages_pages_both_ways_from_the_server(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    for n in range(1, 8):
        sim.inbound(f"m{n}", BOB)
    wpp.until(lambda: len(wpp.events("chat.new_message")) == 7)
    stored = sim.messages(BOB_JID)
    keys = [f"false_{BOB_JID}_{m['id']}" for m in stored]

    def bodies(options: str, *args: Any) -> list[str]:
        found = wpp.call(f"WPP.chat.getMessages(arguments[0], {options})", BOB_JID, *args)
        return [wpp.value("arguments[0].body", m) for m in found]

    assert bodies("{count: 3}") == ["m5", "m6", "m7"]  # the newest, oldest first
    assert bodies("{count: 2, direction: 'before', id: arguments[1]}", keys[4]) == ["m3", "m4"]
    assert bodies("{count: 10, direction: 'after', id: arguments[1]}", keys[1]) == [
        "m3", "m4", "m5", "m6", "m7",
    ]  # fmt: skip
    assert bodies("{count: -1}") == [f"m{n}" for n in range(1, 8)]
    assert bodies("{}") == [f"m{n}" for n in range(1, 8)]  # count defaults to 20
    shaped = wpp.call(
        "WPP.chat.getMessages(arguments[0], {count: 1}).then((l) => l.map(__describeMsg))", BOB_JID
    )
    assert (shaped[0]["id"], shaped[0]["ack"]) == (key(False, BOB_JID, stored[-1]["id"]), 2)
    by_bare_id = "WPP.chat.getMessages(arguments[0], {id: arguments[1]})"
    bare = wpp.call(by_bare_id, BOB_JID, stored[0]["id"])
    assert bare["error"]["code"] == "invalid_msg_key"  # wa-js wants the full key
    missing = wpp.call("WPP.chat.getMessages('447700900000@c.us', {count: 5})")
    assert missing["error"]["code"] == "chat_not_found"


def test_mark_is_read_marks_read_like_opening_the_chat(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("one", BOB, name="Bob")
    sim.inbound("two", BOB)
    wpp.until(lambda: wpp.value("WPP.chat.get(arguments[0])?.unreadCount === 2", BOB_JID))
    wpp_linked.wait(lambda d: wpp_linked.chat_rows()[0]["badge"] == "2")
    result = wpp.call(
        "WPP.chat.markIsRead(arguments[0]).then((r) => [r.wid._serialized, r.unreadCount])", BOB_JID
    )
    assert result == [BOB_JID, 2]
    assert [m["ack"] for m in sim.messages(BOB_JID)] == ["read", "read"]
    assert sim.get(f"/_sim/accounts/{PHONE}/chats")[0]["unreadCount"] == 0
    wpp_linked.wait(lambda d: wpp_linked.chat_rows()[0]["badge"] is None)
    wpp.until(lambda: wpp.value("WPP.chat.get(arguments[0]).hasUnread === false", BOB_JID))
    assert not wpp_linked.has(MESSAGE)  # no chat was opened


def test_chat_list_follows_the_page_order_and_filters(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("group hello", BOB, group={"id": GROUP, "name": "Team"})
    sim.inbound("hello", "447700900123", name="Carol")
    sim.post(f"/_sim/accounts/{PHONE}/outbound", {"to": BOB, "text": "from my phone"})
    wpp.until(lambda: len(wpp.events("chat.new_message")) == 3)
    listed = "WPP.chat.list(arguments[0]).then((l) => l.map((c) => c.id._serialized))"
    order = [c["chatId"] for c in sim.get(f"/_sim/accounts/{PHONE}/chats")]
    assert wpp.call(listed, {}) == order == [BOB_JID, "447700900123@c.us", GROUP]
    assert wpp.call(listed, {"onlyGroups": True}) == [GROUP]
    assert wpp.call(listed, {"onlyUsers": True, "count": 1}) == [BOB_JID]
    assert wpp.call(listed, {"onlyWithUnreadMessage": True}) == ["447700900123@c.us", GROUP]
    assert wpp.call(listed, {"onlyArchived": True})["error"]["code"] == "unsupported_option"


def test_network_cut_sends_later_holds_inbound_and_says_offline(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sim.inbound("hello", BOB)
    wpp.wait_event("chat.new_message")
    sim.post(f"/_sim/accounts/{PHONE}/network", {"online": False})
    assert wpp.wait_event("conn.online") is False
    wpp.value(f"(window.__late = {SEND}.then((r) => r.ack), null)", BOB_JID, "while offline")
    queued = wpp.wait_event("chat.new_message")
    assert (queued["body"], queued["ack"]) == ("while offline", 0)
    sim.inbound("held back", BOB)
    assert wpp.value("window.__late.constructor.name") == "Promise"
    assert [m["text"] for m in sim.messages(BOB_JID)] == ["hello", "while offline"]

    sim.post(f"/_sim/accounts/{PHONE}/network", {"online": True})
    assert wpp.wait_event("conn.online") is True
    assert wpp.wait_event("chat.msg_ack_change")["ack"] == 1
    assert wpp.call("window.__late") == 1  # waitForAck: resolved once it left
    assert wpp.wait_event("chat.new_message")["body"] == "held back"
    assert [s["text"] for s in sim.sent()] == ["while offline"]
