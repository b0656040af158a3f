"""JSON shapes: what the page receives over ``/ws/chat`` and what ``/_sim/`` answers."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from simulator import ids
from simulator.models import Account, Chat, Device, Dialog, Media, Message, Person, Profile

PAGE_HISTORY = 300  # messages of one chat sent to the page when it opens the chat
# the chat list's preview of a media message without a caption
_MEDIA_PREVIEW = {
    "image": "Photo",
    "video": "Video",
    "audio": "Audio",
    "ptt": "Voice message",
    "document": "Document",
    "sticker": "Sticker",
}


def page_message(msg: Message, profile: Profile) -> dict[str, Any]:
    author = msg.author
    if profile == "2026" and author.startswith("+"):  # an unknown contact: its number, formatted
        author = ids.format_phone(ids.jid_user(msg.sender))
    return {
        "id": msg.page_id(profile),
        "chatId": msg.chat_id,
        "fromMe": msg.from_me,
        "author": author,
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
        "media": page_media(msg.media) if msg.media else None,
    }


def page_media(media: Media) -> dict[str, Any]:
    """What the page draws of a file before it has it (the thumbnail) and where it fetches it."""
    return {
        "kind": media.kind,
        "mime": media.mime,
        "size": media.size,
        "fileName": media.file_name,
        "duration": media.duration,
        "width": media.width,
        "height": media.height,
        "thumb": base64.b64encode(media.thumb).decode() if media.thumb else None,
        "url": f"/media/{media.media_id}",
    }


def media_json(media: Media) -> dict[str, Any]:
    """The control API's view of a message's file (``sha256`` to compare bytes)."""
    return {
        "kind": media.kind,
        "mime": media.mime,
        "size": media.size,
        "sha256": hashlib.sha256(media.data).hexdigest(),
        "fileName": media.file_name,
        "duration": media.duration,
        "width": media.width,
        "height": media.height,
        "failuresLeft": media.failures_left,
    }


def page_chat(chat: Chat) -> dict[str, Any]:
    last = chat.last
    preview = ""
    if last is not None:
        text = last.text or (_MEDIA_PREVIEW.get(last.media.kind, "") if last.media else "")
        preview = f"{last.author}: {text}" if chat.is_group and not last.from_me else text
    return {
        "id": chat.chat_id,
        "name": chat.name,
        "isGroup": chat.is_group,
        "unread": chat.unread,
        "activity": chat.activity,
        "ts": last.ts if last else None,
        "preview": preview,
    }


def page_messages(chat: Chat, profile: Profile) -> list[dict[str, Any]]:
    return [page_message(m, profile) for m in chat.messages[-PAGE_HISTORY:]]


def chat_info(account: Account, chat: Chat | None, chat_id: str) -> dict[str, Any]:
    """What the Contact info / Group info drawer shows: the number when known, or the size."""
    if chat_id.endswith("@g.us"):
        return {"group": True, "members": len(chat.members) + 1 if chat else 1}
    owner = chat_id if not ids.is_lid(chat_id) else None
    person = next((p for p in account.people.values() if chat_id in (p.phone_jid, p.lid)), None)
    if person is not None:
        owner = person.phone_jid if person.phone_known else None
    return {"group": False, "phone": ids.format_phone(ids.jid_user(owner)) if owner else None}


def page_dialog(dialog: Dialog) -> dict[str, Any]:
    return {
        "id": dialog.dialog_id,
        "kind": dialog.kind,
        "title": dialog.title,
        "text": dialog.text,
        "button": dialog.button,
    }


def me(account: Account, device: Device) -> dict[str, Any]:
    return {
        "phone": account.phone,
        "name": account.display_name,
        "wid": device.wid,
        "lid": ids.lid_of(account.phone),
    }


def device_json(device: Device, account: Account | None, connected: bool) -> dict[str, Any]:
    return {
        "deviceId": device.device_id,
        "status": device.status,
        "qrRef": device.data_ref,
        "phone": device.phone,
        "displayName": account.display_name if account else None,
        "wid": device.wid,
        "connected": connected,
        "linkCode": device.link_code,
        "linkPhone": device.link_phone,
        "passkeyPhone": device.passkey_phone,
        "passkeyCode": device.passkey_code,
    }


def message_json(msg: Message) -> dict[str, Any]:
    return {
        "messageId": msg.serialized,
        "id": msg.msg_id,
        "chatId": msg.chat_id,
        "fromMe": msg.from_me,
        "fromPhone": msg.from_phone,
        "sender": msg.sender,
        "senderName": msg.author,
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
        "idForm": msg.id_form,
        "via": msg.participant or msg.remote or msg.chat_id,
        "media": media_json(msg.media) if msg.media else None,
    }


def sent_json(msg: Message, to: str) -> dict[str, Any]:
    return {
        "messageId": msg.serialized,
        "id": msg.msg_id,
        "chatId": msg.chat_id,
        "to": to,
        "text": msg.text,
        "ts": msg.ts,
        "ack": msg.ack,
        "media": media_json(msg.media) if msg.media else None,
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


def contact_json(account: Account, person: Person) -> dict[str, Any]:
    return {
        "phoneJid": person.phone_jid,
        "lid": person.lid,
        "name": account.contacts.get(person.phone_jid),
        "phoneKnown": person.phone_known,
    }


def account_json(account: Account, devices: list[Device]) -> dict[str, Any]:
    return {
        "phone": account.phone,
        "displayName": account.display_name,
        "online": account.online,
        "chatCount": len(account.chats),
        "heldInbound": len(account.held),
        "devices": [d.device_id for d in devices],
        "passkey": account.passkey,
        "passkeyRegistered": account.passkey_key is not None,
        "passkeyConfirm": account.passkey_confirm,
    }
