"""WhatsApp ids (JIDs) as the project spells them: one spelling per person or group."""

from __future__ import annotations

import hashlib
import re

PHONE_SERVER = "c.us"
LID_SERVER = "lid"
GROUP_SERVER = "g.us"
# a chat the page shows without any WhatsApp id the worker could read
PAGE_ID_PREFIX = "page:"


_DIGITS = "[0-9]{1,24}"  # ASCII only: \d also matches other scripts
# a chat id as clients may write it (JSON Schema pattern for the API, and the parser below)
CHAT_JID_PATTERN = rf"^({_DIGITS}@(c\.us|s\.whatsapp\.net|lid)|{_DIGITS}(-{_DIGITS})?@g\.us)$"
_CHAT_JID = re.compile(CHAT_JID_PATTERN)


def parse_chat_jid(raw: str) -> str | None:
    """A chat id written by a client, normalised (``…@s.whatsapp.net`` -> ``…@c.us``); None if
    it is not one. ``fullmatch``: ``$`` alone would let a trailing newline through."""
    return normalize_jid(raw) if _CHAT_JID.fullmatch(raw) else None


def normalize_jid(jid: str) -> str:
    """``<digits>@s.whatsapp.net`` is the same id as ``<digits>@c.us``: keep the latter."""
    user, _, server = jid.strip().partition("@")
    return f"{user}@{PHONE_SERVER}" if server == "s.whatsapp.net" else jid.strip()


def phone_jid(digits: str) -> str:
    return f"{digits}@{PHONE_SERVER}"


def is_phone(jid: str) -> bool:
    return jid.endswith(f"@{PHONE_SERVER}")


def is_lid(jid: str) -> bool:
    return jid.endswith(f"@{LID_SERVER}")


def is_group(jid: str) -> bool:
    return jid.endswith(f"@{GROUP_SERVER}")


def page_id(title: str) -> str:
    """``page:<sha1(title)[:16]>``: a stable stand-in id for a chat known only by its title."""
    return PAGE_ID_PREFIX + hashlib.sha1(title.encode()).hexdigest()[:16]
