"""A chat as the API's ``{chatId}`` names it: our UUID, or any WhatsApp id of that chat.

WhatsApp ids: ``<digits>@c.us`` (also written ``<digits>@s.whatsapp.net``: normalised to
``@c.us``), ``<digits>@lid``, and groups ``<digits>-<digits>@g.us`` / ``<digits>@g.us``.
"""

from __future__ import annotations

import re
import uuid
from uuid import UUID

from aiohttp import web

from gateway.errors import ValidationFailed

ChatRef = UUID | str  # our chat id, or a normalised WhatsApp id (matched by chats.get_by_wa_id)

_DIGITS = "[0-9]{1,24}"  # ASCII only: \d also matches other scripts
# the same rule as a JSON Schema pattern (OpenAPI) and, with names, as the parser
WA_CHAT_ID_PATTERN = rf"^({_DIGITS}@(c\.us|s\.whatsapp\.net|lid)|{_DIGITS}(-{_DIGITS})?@g\.us)$"
_WA_ID = re.compile(
    rf"^(?P<user>{_DIGITS})@(?P<server>c\.us|s\.whatsapp\.net|lid)$"
    rf"|^(?P<group>{_DIGITS}(?:-{_DIGITS})?)@g\.us$"
)
_MESSAGE = (
    "must be a chat UUID or a WhatsApp chat id (<digits>@c.us, <digits>@s.whatsapp.net,"
    " <digits>@lid or <digits>[-<digits>]@g.us)"
)


def normalize_wa_chat_id(raw: str) -> str | None:
    """``79035556677@s.whatsapp.net`` -> ``79035556677@c.us``; None if not a WhatsApp chat id."""
    found = _WA_ID.fullmatch(raw)  # not match: "$" would let a trailing newline through
    if found is None:
        return None
    if found["group"] is not None:
        return f"{found['group']}@g.us"
    return f"{found['user']}@{'lid' if found['server'] == 'lid' else 'c.us'}"


def parse_chat_ref(raw: str, *, field: str = "chatId") -> ChatRef:
    try:
        return uuid.UUID(raw)
    except ValueError:
        pass
    wa_id = normalize_wa_chat_id(raw)
    if wa_id is None:
        raise ValidationFailed(
            f"{field}: {_MESSAGE}", details=[{"field": field, "message": _MESSAGE}]
        )
    return wa_id


def path_chat(request: web.Request, name: str = "chatId") -> ChatRef:
    """The ``{chatId}`` of the route (the router has already percent-decoded it)."""
    return parse_chat_ref(request.match_info[name], field=name)
