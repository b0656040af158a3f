"""What the page objects make of raw page data: rows of every form, badges, dialogs (no browser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from worker.browser.drift import Drift, DriftKind
from worker.browser.observed import Screen
from worker.browser.pages import parse_rows, parse_snapshot, read_unread
from worker.browser.times import TimeReader


def _raw(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"chat": "Ann", "rows": list(rows), "tzOffset": 0}


def _row(data_id: str | None, direction: str | None = "in", **extra: Any) -> dict[str, Any]:
    return {
        "id": data_id,
        "direction": direction,
        "pre": "[8:19 PM, 6/13/2026] Ann: ",
        "body": "hello",
        "icon": None,
        "iconLabel": None,
        **extra,
    }


def test_every_row_form_is_read_and_a_broken_one_is_drift() -> None:
    view = parse_rows(
        _raw(
            _row("3A4689CE0123456789AB"),
            _row("false_79035556677@c.us_3EB0AA", None),
            _row("false_120363012345678901@g.us_AC5F01_123456789012345@lid"),
            _row("has a space"),
            _row("wamid.AbC-dEf012345", None),
            _row("3EB0BB", "out", icon="msg-dblcheck", iconLabel="Read"),
        ),
        TimeReader("en-US"),
    )
    assert [r.wa_msg_id for r in view.rows] == [
        "3A4689CE0123456789AB",
        "3EB0AA",
        "AC5F01",
        "3EB0BB",
    ]
    assert [r.direction for r in view.rows] == ["in", "in", "in", "out"]
    assert view.rows[2].participant == "123456789012345@lid"
    assert view.rows[3].ack == "read" and view.rows[0].ack is None
    assert view.chat_hints == ["79035556677@c.us", "120363012345678901@g.us"]
    assert view.rows[0].timestamp == datetime(2026, 6, 13, 20, 19, tzinfo=UTC)
    assert [d.kind for d in view.drift] == [DriftKind.ROW_UNPARSED, DriftKind.ROW_UNPARSED]
    assert all(len(d.excerpt) <= 40 for d in view.drift)


def test_a_row_without_a_readable_time_keeps_the_capture_time() -> None:
    before = datetime.now(UTC)
    view = parse_rows(
        _raw(_row("3A01", pre="[sometime] Ann: ", body="x" * 500)), TimeReader("en-US")
    )
    (row,) = view.rows
    assert before <= row.timestamp <= datetime.now(UTC) + timedelta(seconds=1)
    assert [d.kind for d in view.drift] == [DriftKind.TIME_UNPARSED]
    assert view.drift[0].key == "3A01" and len(view.drift[0].excerpt) <= 40


def test_unread_counts_in_any_language() -> None:
    drift: list[Drift] = []
    assert read_unread([{"label": "3 unread messages", "text": "3"}], "a", drift) == 3
    assert read_unread([{"label": "1 непрочитанное сообщение", "text": "1"}], "b", drift) == 1
    assert read_unread([{"label": "12 непрочитанных сообщений", "text": "12"}], "c", drift) == 12
    assert read_unread([], "d", drift) == 0
    assert drift == []
    assert read_unread([{"label": "unread", "text": "4"}], "e", drift) == 4
    assert read_unread([{"label": "5 new", "text": "•"}], "f", drift) == 5
    assert [d.kind for d in drift] == [DriftKind.UNREAD_UNPARSED] * 2


def test_snapshot_of_a_ready_page_with_a_popup() -> None:
    snap = parse_snapshot(
        {
            "state": "ready",
            "url": "https://web.whatsapp.com/",
            "wid": '"15550001111:3@c.us"',
            "chats": [{"name": "Ann", "badges": [{"label": "2 unread messages", "text": "2"}]}],
            "dialog": "A fresh look for WhatsApp Web\nWe've updated it.",
            "dialogButtons": ["Continue"],
            "linkCode": None,
        }
    )
    assert snap.screen is Screen.READY and snap.phone == "15550001111"
    assert [(u.name, u.count) for u in snap.unread] == [("Ann", 2)]
    assert snap.dialog is not None and snap.dialog.known is not None
    assert snap.dialog.known.button == "Continue"
    code = parse_snapshot({"state": "link_code", "linkCode": "A,B,C,D,1,2,3,4"})
    assert (code.screen, code.link_code) == (Screen.LINK_CODE, "ABCD1234")
