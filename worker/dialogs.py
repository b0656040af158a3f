"""What to do about a popup: press the known button, wait, or give up on an unknown one.

Known dialogs (``selectors.KNOWN_DIALOGS``) are dismissed at once; the conflict modal is left to
the conflict screen's own timing. Any dialog still blocking after ``APP_UNKNOWN_DIALOG_S`` (an
unknown one, or a known one whose button did not close it) puts the session in ``blocked``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from worker.browser.observed import Dialog

DETAIL_CHARS = 200


class Act(StrEnum):
    NONE = "none"  # no dialog (or the conflict modal, handled as a screen)
    PRESS = "press"  # press ``label``
    WAIT = "wait"  # an unknown dialog, not blocking for long yet: do nothing that clicks
    BLOCK = "block"  # blocking too long: ``label`` is its text for the operator


@dataclass(frozen=True)
class Decision:
    act: Act
    label: str = ""
    new_unknown: bool = False  # first sight of an unknown dialog (count and log it)


class DialogWatch:
    def __init__(self, block_after_s: float) -> None:
        self._block_after_s = block_after_s
        self._text: str | None = None
        self._since = 0.0

    def decide(self, dialog: Dialog | None, now: float) -> Decision:
        if dialog is None or dialog.is_conflict:
            self._text = None
            return Decision(Act.NONE)
        fresh = dialog.text != self._text
        if fresh:
            self._text, self._since = dialog.text, now
        if now - self._since >= self._block_after_s:
            return Decision(Act.BLOCK, " ".join(dialog.text.split())[:DETAIL_CHARS])
        if dialog.known is not None:
            return Decision(Act.PRESS, dialog.known.button)
        return Decision(Act.WAIT, new_unknown=fresh)
