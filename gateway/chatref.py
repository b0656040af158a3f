"""A chat as the API's ``{chatId}`` names it: our UUID, or any WhatsApp id of that chat.

WhatsApp ids: ``<digits>@c.us`` (also written ``<digits>@s.whatsapp.net``: normalised to
``@c.us``), ``<digits>@lid``, and groups ``<digits>-<digits>@g.us`` / ``<digits>@g.us``.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from aiohttp import web

from gateway.errors import ValidationFailed
from shared.jids import CHAT_JID_PATTERN, parse_chat_jid

ChatRef = UUID | str  # our chat id, or a normalised WhatsApp id (matched by chats.get_by_wa_id)

# the same rule as a JSON Schema pattern (OpenAPI) and as the parser
WA_CHAT_ID_PATTERN = CHAT_JID_PATTERN
_MESSAGE = (
    "must be a chat UUID or a WhatsApp chat id (<digits>@c.us, <digits>@s.whatsapp.net,"
    " <digits>@lid or <digits>[-<digits>]@g.us)"
)


def parse_chat_ref(raw: str, *, field: str = "chatId") -> ChatRef:
    try:
        return uuid.UUID(raw)
    except ValueError:
        pass
    wa_id = parse_chat_jid(raw)
    if wa_id is None:
        raise ValidationFailed(
            f"{field}: {_MESSAGE}", details=[{"field": field, "message": _MESSAGE}]
        )
    return wa_id


def path_chat(request: web.Request, name: str = "chatId") -> ChatRef:
    """The ``{chatId}`` of the route (the router has already percent-decoded it)."""
    return parse_chat_ref(request.match_info[name], field=name)
