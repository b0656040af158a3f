"""Repository rows -> the public payloads used by both events and REST responses (one shape)."""

from __future__ import annotations

import base64
from typing import Literal
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


def chat_event(company_id: UUID, chat: Chat) -> ChatEvent:
    return ChatEvent(
        session_id=chat.session_id, company_id=company_id, data=ChatData(chat=chat_payload(chat))
    )
