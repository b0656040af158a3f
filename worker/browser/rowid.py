"""A message row's ``data-id``, in every form WhatsApp Web has used, reduced to WhatsApp's bare id.

Bare (``3EB0…``, ``3A…``, any opaque string without spaces) since 2026; the legacy
``<fromMe>_<chat>_<id>[_<participant>]`` form names the same message and also says which chat id
(and, in groups, which participant) it came in under. Pure: no page, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.jids import normalize_jid

_LEGACY = re.compile(
    r"^(true|false)_(.+?@(?:c\.us|s\.whatsapp\.net|g\.us|lid|broadcast|newsletter))_([^_]+)(?:_(.+))?$"
)
# anything without whitespace, of a sane length: WhatsApp's ids are opaque to us
_OPAQUE = re.compile(r"^\S{4,256}$")


@dataclass(frozen=True)
class RowId:
    """What a ``data-id`` says: the bare message id, and what the legacy form adds."""

    msg_id: str
    from_me: bool | None = None  # legacy form only; the row's class says it otherwise
    chat_id: str | None = None  # legacy form only: the chat id the message came in under
    participant: str | None = None  # legacy group form: the author's id


def parse_row_id(data_id: str | None) -> RowId | None:
    """The row's identity, or None when the value is not an id at all (empty, spaces, huge)."""
    value = (data_id or "").strip()
    legacy = _LEGACY.match(value)
    if legacy:
        from_me, chat, msg, participant = legacy.groups()
        return RowId(
            msg_id=msg,
            from_me=from_me == "true",
            chat_id=normalize_jid(chat),
            participant=normalize_jid(participant) if participant else None,
        )
    if _OPAQUE.match(value):
        return RowId(msg_id=value)
    return None
