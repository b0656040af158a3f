"""Known popups are pressed, unknown ones wait and then block (pure, no browser)."""

from __future__ import annotations

from worker.browser.observed import Dialog
from worker.browser.selectors import known_dialog
from worker.dialogs import Act, DialogWatch


def _dialog(text: str, *buttons: str) -> Dialog:
    return Dialog(text, buttons, known_dialog(text, list(buttons)))


def test_known_dialogs_are_pressed() -> None:
    watch = DialogWatch(block_after_s=30)
    fresh = _dialog("A fresh look for WhatsApp Web\nWe updated the design.", "Continue")
    assert watch.decide(fresh, 0).act is Act.PRESS
    assert watch.decide(fresh, 0).label == "Continue"
    new = _dialog("What\u2019s new in WhatsApp Web\n...", "Got it")
    assert (watch.decide(new, 1).act, watch.decide(new, 1).label) == (Act.PRESS, "Got it")
    notice = _dialog("Your chats are now end-to-end encrypted.", "OK")
    assert watch.decide(notice, 2).label == "OK"
    invalid = _dialog("Phone number shared via url is invalid.", "OK")
    assert watch.decide(invalid, 3).label == "OK"


def test_the_conflict_modal_is_left_to_the_conflict_screen() -> None:
    conflict = _dialog(
        'WhatsApp is open in another window. Click "Use here" to use WhatsApp in this window.',
        "Close",
        "Use here",
    )
    assert DialogWatch(block_after_s=0).decide(conflict, 100).act is Act.NONE


def test_an_unknown_dialog_waits_then_blocks_with_its_text() -> None:
    watch = DialogWatch(block_after_s=30)
    terms = _dialog("Review our updated terms to keep using WhatsApp Web.", "Review")
    first = watch.decide(terms, 10)
    assert (first.act, first.new_unknown) == (Act.WAIT, True)
    assert watch.decide(terms, 25).act is Act.WAIT
    blocked = watch.decide(terms, 40)
    assert blocked.act is Act.BLOCK
    assert blocked.label == "Review our updated terms to keep using WhatsApp Web."
    # gone, then back: the clock starts again
    assert watch.decide(None, 41).act is Act.NONE
    assert watch.decide(terms, 42).new_unknown


def test_a_known_dialog_that_will_not_close_blocks_too() -> None:
    watch = DialogWatch(block_after_s=5)
    stuck = _dialog("A fresh look for WhatsApp Web", "Continue")
    assert watch.decide(stuck, 0).act is Act.PRESS
    assert watch.decide(stuck, 6).act is Act.BLOCK
