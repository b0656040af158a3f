"""Repository rows -> the public payloads used by both events and REST responses (one shape)."""

from __future__ import annotations

from uuid import UUID

from shared.db.types import Chat, Message
from shared.events import ChatData, ChatEvent, ChatPayload, MessagePayload


def message_payload(message: Message, *, wa_chat_id: str) -> MessagePayload:
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
