"""The module bridge reads wa-js: messages, acks, chat ids and the screen from its shapes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from worker.browser.drift import DriftKind
from worker.browser.module_read import Conn, items, screen
from worker.browser.observed import AckChange, ChatRef, Screen
from worker.browser.pages import parse_snapshot

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)
PN, LID, GROUP = "15550001111@c.us", "123456789012345@lid", "120363000000000009@g.us"


def _msg(**over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": "msg",
        "seq": 1,
        "id": f"false_{PN}_3EB0AA",
        "bare": "3EB0AA",
        "fromMe": False,
        "remote": PN,
        "from": PN,
        "to": "15559990000@c.us",
        "author": None,
        "t": 1781352000,
        "ack": 1,
        "type": "chat",
        "body": "hello",
        "notifyName": "Ann",
        "chat": {"id": PN, "phone": PN, "lid": LID, "name": "", "group": False},
    }
    item.update(over)
    return item


def _ui(state: str = "ready", **extra: Any) -> Any:
    return parse_snapshot({"state": state, "url": "https://web.whatsapp.com/", **extra})


def test_an_incoming_message_with_both_ids_of_its_sender() -> None:
    got = items([_msg()], NOW)
    (m,) = got.messages
    assert (m.wa_msg_id, m.direction, m.body, m.sender, m.ack) == (
        "3EB0AA",
        "in",
        "hello",
        "Ann",
        None,
    )
    assert m.timestamp == datetime.fromtimestamp(1781352000, UTC)
    # no name known for the chat: the sender's own name (notifyName) names it
    assert m.chat == ChatRef(PN, PN, LID, False, "Ann")
    assert not got.drift and not got.acks


def test_own_messages_carry_their_ack_and_a_lid_chat_keeps_both_ids() -> None:
    chat = {"id": LID, "phone": PN, "lid": LID, "name": "Ann", "group": False}
    sent = _msg(fromMe=True, remote=LID, ack=3, chat=chat, notifyName=None)
    failed = _msg(fromMe=True, bare="3EB0BB", ack=-1, seq=2)
    clock = _msg(fromMe=True, bare="3EB0CC", ack=0, seq=3)
    one, two, three = items([clock, failed, sent], NOW).messages
    assert (one.direction, one.ack, one.sender) == ("out", "read", None)
    assert one.chat == ChatRef(LID, PN, LID, False, "Ann")
    assert (two.ack, three.ack) == ("failed", "pending")


def test_groups_name_the_author_and_keep_no_person_ids() -> None:
    chat = {"id": GROUP, "phone": None, "lid": None, "name": "Crew", "group": True}
    m = items([_msg(remote=GROUP, author=LID, notifyName=None, chat=chat)], NOW).messages[0]
    assert m.chat == ChatRef(GROUP, None, None, True, "Crew")
    assert m.sender == LID  # a lid is no phone number: kept whole
    by_phone = items([_msg(remote=GROUP, author=PN, notifyName=None, chat=chat)], NOW)
    assert by_phone.messages[0].sender == "15550001111"


def test_a_chat_wa_js_could_not_resolve_is_its_own_id() -> None:
    m = items([_msg(chat=None, remote="15550001111@s.whatsapp.net")], NOW).messages[0]
    assert m.chat == ChatRef(PN, PN, None, False, "Ann")


def test_notices_are_no_messages_and_media_keeps_its_caption() -> None:
    got = items(
        [
            _msg(type="e2e_notification", body=""),
            _msg(type="gp2", seq=2),
            _msg(type="image", body="cat.jpg caption", bare="3EB0DD", seq=3),
        ],
        NOW,
    )
    assert [(m.wa_msg_id, m.body) for m in got.messages] == [("3EB0DD", "cat.jpg caption")]


def test_acks_and_what_cannot_be_read_is_drift() -> None:
    got = items(
        [
            {"kind": "ack", "seq": 1, "ack": 2, "ids": ["3EB0AA", "3EB0BB"], "chat": PN},
            {"kind": "ack", "seq": 2, "ack": "x", "ids": ["3EB0AA"]},
            _msg(bare=None, seq=3),
            _msg(t=None, bare="3EB0EE", seq=4),
            {"kind": "mystery", "seq": 5},
        ],
        NOW,
    )
    assert got.acks == [AckChange("3EB0AA", "delivered"), AckChange("3EB0BB", "delivered")]
    assert [m.wa_msg_id for m in got.messages] == ["3EB0EE"]
    assert got.messages[0].timestamp == NOW  # no time from wa-js: the capture time
    kinds = [d.kind for d in got.drift]
    assert kinds.count(DriftKind.EVENT_UNPARSED) == 3 and DriftKind.TIME_UNPARSED in kinds


def test_items_come_in_the_order_wa_js_reported_them() -> None:
    got = items([_msg(seq=9, bare="B"), _msg(seq=3, bare="A")], NOW)
    assert [m.wa_msg_id for m in got.messages] == ["A", "B"]


@pytest.mark.parametrize(
    ("conn", "ui", "want"),
    [
        ({}, "unknown", Screen.LOADING),  # no WPP (yet)
        ({"ready": True}, "loading", Screen.LOADING),
        ({"ready": True, "authCode": "2@x,y,z,w"}, "qr", Screen.QR),
        ({"ready": True, "authCode": "2@x,y,z,w", "idle": True}, "qr", Screen.QR_EXPIRED),
        ({"ready": True, "linkCode": "K7QX9M2A"}, "qr", Screen.LINK_CODE),
        ({"ready": True, "authenticated": True}, "qr", Screen.SYNCING),
        ({"ready": True, "authenticated": True, "mainReady": True}, "ready", Screen.SYNCING),
        (
            {"ready": True, "authenticated": True, "mainReady": True, "me": PN, "online": True},
            "loading",
            Screen.READY,
        ),
        (
            {"ready": True, "authenticated": True, "mainReady": True, "me": PN},
            "ready",
            Screen.OFFLINE,
        ),
        # what only the UI shows wins
        (
            {"ready": True, "authenticated": True, "mainReady": True, "me": PN},
            "conflict",
            Screen.CONFLICT,
        ),
        ({"ready": True, "authenticated": True}, "passkey", Screen.PASSKEY),
        ({}, "unsupported", Screen.UNSUPPORTED),
    ],
)
def test_the_screen_from_wa_js_and_the_ui(conn: dict[str, Any], ui: str, want: Screen) -> None:
    assert screen(Conn.parse(conn), _ui(ui)) is want


def test_own_identity() -> None:
    conn = Conn.parse({"ready": True, "me": "15550001111@c.us", "lid": LID, "name": "Shop"})
    assert (conn.phone, conn.lid, conn.name) == ("15550001111", LID, "Shop")
