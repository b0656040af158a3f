"""JSON shapes: what the page receives over ``/ws/chat`` and what ``/_sim/`` answers."""

from __future__ import annotations

from typing import Any

from simulator import ids
from simulator.models import Account, Chat, Device, Message

PAGE_HISTORY = 300  # messages of one chat sent to the page when it opens the chat


def page_message(msg: Message) -> dict[str, Any]:
    return {
        "id": msg.data_id,
        "chatId": msg.chat_id,
        "fromMe": msg.from_me,
        "author": msg.author,
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
    }


def page_chat(chat: Chat) -> dict[str, Any]:
    last = chat.last
    preview = ""
    if last is not None:
        preview = f"{last.author}: {last.text}" if chat.is_group and not last.from_me else last.text
    return {
        "id": chat.chat_id,
        "name": chat.name,
        "isGroup": chat.is_group,
        "unread": chat.unread,
        "activity": chat.activity,
        "ts": last.ts if last else None,
        "preview": preview,
    }


def page_messages(chat: Chat) -> list[dict[str, Any]]:
    return [page_message(m) for m in chat.messages[-PAGE_HISTORY:]]


def me(account: Account, device: Device) -> dict[str, Any]:
    return {"phone": account.phone, "name": account.display_name, "wid": device.wid}


def device_json(device: Device, account: Account | None, connected: bool) -> dict[str, Any]:
    return {
        "deviceId": device.device_id,
        "status": device.status,
        "qrRef": device.data_ref,
        "phone": device.phone,
        "displayName": account.display_name if account else None,
        "wid": device.wid,
        "connected": connected,
    }


def message_json(msg: Message) -> dict[str, Any]:
    return {
        "messageId": msg.data_id,
        "chatId": msg.chat_id,
        "fromMe": msg.from_me,
        "sender": msg.sender,
        "senderName": msg.author,
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
    }


def sent_json(msg: Message) -> dict[str, Any]:
    return {
        "messageId": msg.data_id,
        "chatId": msg.chat_id,
        "to": ids.jid_user(msg.chat_id),
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
    }


def chat_json(chat: Chat) -> dict[str, Any]:
    last = chat.last
    return {
        "chatId": chat.chat_id,
        "name": chat.name,
        "isGroup": chat.is_group,
        "unreadCount": chat.unread,
        "messageCount": len(chat.messages),
        "lastMessage": message_json(last) if last else None,
    }


def account_json(account: Account, devices: list[Device]) -> dict[str, Any]:
    return {
        "phone": account.phone,
        "displayName": account.display_name,
        "online": account.online,
        "chatCount": len(account.chats),
        "heldInbound": len(account.held),
        "devices": [d.device_id for d in devices],
    }
