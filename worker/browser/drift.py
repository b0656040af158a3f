"""What the page layer could not interpret: a kind and a short excerpt, handed to the runtime.

The page objects never drop what they cannot read silently: they return it as ``Drift`` notes
beside their data, and the runtime counts, logs and surfaces them (``worker.drift_report``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EXCERPT_CHARS = 40


class DriftKind(StrEnum):
    ROW_UNPARSED = "row_unparsed"  # a message row without a usable id or direction
    TIME_UNPARSED = "time_unparsed"  # a row whose time could not be read (capture time kept)
    CHAT_ID_UNRESOLVED = "chat_id_unresolved"  # an open chat with no WhatsApp id to be found
    UNREAD_UNPARSED = "unread_unparsed"  # an unread badge whose count could not be read
    SCREEN_UNKNOWN = "screen_unknown"  # a screen that is none of the known ones, for a while
    DIALOG_UNKNOWN = "dialog_unknown"  # a dialog that is not in the known-dialog table
    # the module bridge (wa-js)
    MODULE_BRIDGE_FAILED = "module_bridge_failed"  # wa-js broke at run time: page bridge now
    EVENT_UNPARSED = "event_unparsed"  # a wa-js message or ack the worker could not read
    EVENTS_DROPPED = "events_dropped"  # the in-page queue overflowed (a catch-up follows)
    # a message of a type the worker cannot read (stored as type "unsupported", body its caption)
    MESSAGE_TYPE_UNKNOWN = "message_type_unknown"


def excerpt(text: str | None) -> str:
    """At most 40 characters of page text, on one line: never more of anyone's messages."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


@dataclass(frozen=True)
class Drift:
    kind: DriftKind
    excerpt: str
    # what it was about (a row, a chat, a dialog): the same thing seen again is counted once
    key: str = ""

    @classmethod
    def of(cls, kind: DriftKind, text: str | None, *, key: str = "") -> Drift:
        return cls(kind, excerpt(text), key)
