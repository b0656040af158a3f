"""Repository rows -> the public payloads used by both events and REST responses (one shape).

The chats and messages pages skip the models: they select the columns below, in the payload's
field order, and zip each row with the payload's camelCase keys (``wire_row``); orjson writes
the UUIDs and times as the models would. Data just read from our own tables needs no
validation; tests/shared/test_payloads.py holds the two paths to the same JSON.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from uuid import UUID

from shared.db.types import Chat, Message, MessageMedia
from shared.events import ChatData, ChatEvent, ChatPayload, MediaPayload, MessagePayload

MediaStatus = Literal["pending", "ready", "unavailable", "expired"]
_MEDIA_STATUS: dict[str, MediaStatus] = {
    "pending": "pending",
    "stored": "ready",
    "failed": "unavailable",
    "expired": "expired",
}


def media_url(session_id: UUID, message_id: UUID) -> str:
    """Where a reader of the chat streams a message's media (the gateway's route)."""
    return f"/api/whatsapp/sessions/{session_id}/messages/{message_id}/media"


def media_payload(media: MessageMedia) -> MediaPayload:
    thumb = media.thumbnail
    return MediaPayload(
        kind=media.kind,
        mime=media.mime,
        size=media.size,
        file_name=media.file_name,
        duration_s=media.duration_s,
        width=media.width,
        height=media.height,
        thumbnail=f"data:image/jpeg;base64,{base64.b64encode(thumb).decode()}" if thumb else None,
        status=_MEDIA_STATUS[media.status],
        url=media_url(media.session_id, media.message_id),
    )


def message_payload(
    message: Message, *, wa_chat_id: str, media: MessageMedia | None = None
) -> MessagePayload:
    return MessagePayload(
        id=message.id,
        chat_id=message.chat_id,
        wa_chat_id=wa_chat_id,
        wa_message_id=message.wa_msg_id,
        client_message_id=message.client_msg_id,
        direction=message.direction,
        sender=message.sender,
        body=message.body,
        type=message.type,
        status=message.status,
        error=message.error,
        timestamp=message.wa_timestamp,
        created_at=message.created_at,
        media=media_payload(media) if media is not None else None,
    )


def chat_payload(chat: Chat) -> ChatPayload:
    return ChatPayload(
        id=chat.id,
        wa_chat_id=chat.wa_chat_id,
        phone_jid=chat.phone_jid,
        lid=chat.lid,
        name=chat.name,
        is_group=chat.is_group,
        unread_count=chat.unread_count,
        last_message_at=chat.last_message_at,
        last_message_preview=chat.last_message_preview,
        archived=chat.archived,
        assigned_manager_id=chat.assigned_manager_id,
    )


def _wire_keys(model: type[ChatPayload] | type[MessagePayload]) -> tuple[str, ...]:
    return tuple(f.alias or name for name, f in model.model_fields.items())


# the SQL expression of each ChatPayload field, in its order (c: wa_chats)
CHAT_COLUMNS: tuple[str, ...] = tuple(f"c.{name}" for name in ChatPayload.model_fields)
CHAT_KEYS = _wire_keys(ChatPayload)
# the SQL expression of each MessagePayload field, in its order (m: wa_messages, c: its chat)
_MESSAGE_SOURCES = {
    "wa_chat_id": "c.wa_chat_id",
    "wa_message_id": "m.wa_msg_id",
    "client_message_id": "m.client_msg_id",
    "timestamp": "m.wa_timestamp",
}
# every field but ``media``, which lives in its own table: with_media adds it to a page's rows
_MESSAGE_ROW_FIELDS = tuple(name for name in MessagePayload.model_fields if name != "media")
MESSAGE_COLUMNS: tuple[str, ...] = tuple(
    _MESSAGE_SOURCES.get(name, f"m.{name}") for name in _MESSAGE_ROW_FIELDS
)
MESSAGE_KEYS = tuple(
    MessagePayload.model_fields[name].alias or name for name in _MESSAGE_ROW_FIELDS
)


def wire_row(keys: tuple[str, ...], values: Sequence[Any]) -> dict[str, Any]:
    """A row of the columns above as its payload's JSON object (UUIDs, times: for orjson)."""
    return dict(zip(keys, values, strict=True))


def with_media(
    rows: list[dict[str, Any]], found: Mapping[UUID, MessageMedia]
) -> list[dict[str, Any]]:
    """Message rows of a page (``wire_row``) with their ``media`` (None for text)."""
    for row in rows:
        media = found.get(row["id"])
        row["media"] = media_payload(media).to_wire() if media is not None else None
    return rows


def media_message_ids(rows: Sequence[Mapping[str, Any]]) -> list[UUID]:
    """The messages of a page that may have media (any type but text): the only ones to look up."""
    return [row["id"] for row in rows if row["type"] != "text"]


def chat_event(company_id: UUID, chat: Chat) -> ChatEvent:
    return ChatEvent(
        session_id=chat.session_id, company_id=company_id, data=ChatData(chat=chat_payload(chat))
    )
