"""Page bridge: which WhatsApp ids the open chat has, from its context, never from a row alone.

In this order: how the worker opened it (a deep link -> the phone; by name -> the stored chat of
that name), a legacy-form id in any of its rows, a title that is a phone number, the chat's info
drawer. With none of them the chat gets a page-only id (``page:<sha1(title)[:16]>``). Pure.
"""

from __future__ import annotations

import re

from shared.jids import (
    PAGE_ID_PREFIX,
    is_group,
    is_lid,
    is_phone,
    normalize_jid,
    page_id,
    phone_jid,
)
from worker.browser.observed import ChatRef

_PHONE_TITLE = re.compile(r"^\+?[\d\s\-().]+$")


def title_phone(title: str) -> str | None:
    """``+1 555-000-1111`` -> ``15550001111``; None when the title is a name."""
    if not _PHONE_TITLE.match(title.strip()):
        return None
    digits = re.sub(r"\D", "", title)
    return digits if 7 <= len(digits) <= 15 else None


def from_context(
    title: str,
    *,
    opened_phone: str | None = None,
    stored: ChatRef | None = None,
    hints: list[str] | tuple[str, ...] = (),
    info_phone: str | None = None,
    info_group: bool = False,
) -> ChatRef | None:
    """The ids the context gives, in the order above (named ``title``); None when it gives none."""
    found: list[str] = []
    if opened_phone:
        found.append(phone_jid(opened_phone))
    if stored is not None:
        found += [i for i in (stored.wa_chat_id, stored.phone_jid, stored.lid) if i]
    found += [normalize_jid(h) for h in hints]
    phone = title_phone(title)
    if phone:
        found.append(phone_jid(phone))
    if info_phone:
        found.append(phone_jid(info_phone))
    if not found:
        return None
    first = found[0]
    real = [i for i in dict.fromkeys(found) if not i.startswith(PAGE_ID_PREFIX)]
    group = next((i for i in real if is_group(i)), None)
    if group is not None or info_group or (stored is not None and stored.is_group):
        return ChatRef(wa_chat_id=group or first, is_group=True, name=title)
    return ChatRef(
        wa_chat_id=first,
        name=title,
        phone_jid=next((i for i in real if is_phone(i)), None),
        lid=next((i for i in real if is_lid(i)), None),
    )


def page_ids(title: str, *, is_group: bool = False) -> ChatRef:
    return ChatRef(wa_chat_id=page_id(title), is_group=is_group, name=title)
