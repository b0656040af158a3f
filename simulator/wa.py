"""Messages, chats and contacts in the shapes of ``@wppconnect/wa-js`` 4.6.0 (for the WPP stand-in).

The page's stand-in turns these JSON forms into wa-js objects (``Wid``, ``MsgKey``); the rules
follow wa-js's sources: own messages come from the account's lid in groups and lid chats
(``prepareRawMessage``), a group message's key carries its participant (``generateMessageID``).
"""

from __future__ import annotations

import base64
from typing import Any

from simulator import ids
from simulator.models import Account, Chat, Media, Message, Person

ACK_NUMBER: dict[str, int] = {"failed": -1, "pending": 0, "sent": 1, "delivered": 2, "read": 3}
WaJson = dict[str, Any]


def own_lid(account: Account) -> str:
    return ids.lid_of(account.phone)


def _own_sender(account: Account, chat_id: str) -> str:
    """The id an own message goes out under: the lid in groups and lid chats, else the number."""
    return own_lid(account) if chat_id.endswith("@g.us") or ids.is_lid(chat_id) else account.jid


def key(account: Account, msg: Message) -> WaJson:
    """The ``MsgKey``: ``<fromMe>_<remote>_<id>[_<participant>]``."""
    group = msg.chat_id.endswith("@g.us")
    if msg.from_me:
        remote = msg.chat_id
        participant = own_lid(account) if group else None
    else:
        remote = msg.remote or msg.chat_id
        participant = msg.participant
    serialized = f"{'true' if msg.from_me else 'false'}_{remote}_{msg.msg_id}"
    if participant:
        serialized += f"_{participant}"
    return {
        "fromMe": msg.from_me,
        "remote": remote,
        "id": msg.msg_id,
        "participant": participant,
        "_serialized": serialized,
    }


def message(account: Account, msg: Message) -> WaJson:
    """A ``MsgModel``'s attributes: ids as strings (the stand-in makes them ``Wid`` objects)."""
    group = msg.chat_id.endswith("@g.us")
    via = msg.participant or msg.remote or msg.chat_id
    if msg.from_me:
        sender = _own_sender(account, msg.chat_id)
        origin, to, author = sender, msg.chat_id, sender if group else None
        notify = account.display_name
    else:
        origin = msg.chat_id if group else via
        to = own_lid(account) if ids.is_lid(via) else account.jid
        author = via if group else None
        notify = account.contacts.get(msg.sender, "")
    return {
        "id": key(account, msg),
        "from": origin,
        "to": to,
        "author": author,
        "t": msg.ts,
        "ack": ACK_NUMBER[msg.ack],
        "type": "chat",
        "body": msg.text,
        "notifyName": notify,
        "self": "out" if msg.from_me else "in",
        "isGroupMsg": group,
        **(media_fields(msg.media, msg.text) if msg.media else {}),
    }


def media_fields(media: Media, caption: str) -> WaJson:
    """A media message's own attributes: ``type`` is its kind, ``body`` the base64 JPEG thumbnail
    of an image or video (empty for the rest), the text is ``caption``; ``directPath`` is where
    the media server has the file (the stand-in's ``downloadMedia`` fetches it)."""
    thumb = base64.b64encode(media.thumb).decode() if media.thumb else ""
    return {
        "type": media.kind,
        "body": thumb if media.kind in ("image", "video") else "",
        "caption": caption or None,
        "mimetype": media.mime,
        "size": media.size,
        "filename": media.file_name,
        "duration": media.duration,
        "width": media.width,
        "height": media.height,
        "isMedia": True,
        "directPath": f"/media/{media.media_id}",
    }


def chat(account: Account, item: Chat) -> WaJson:
    """A ``ChatModel``'s attributes (``lastKey`` becomes ``lastReceivedKey``)."""
    last = item.last
    return {
        "id": item.chat_id,
        "name": item.name,
        "t": last.ts if last else None,
        "unreadCount": item.unread,
        "isGroup": item.is_group,
        "activity": item.activity,
        "lastKey": key(account, last) if last else None,
    }


def ack_change(account: Account, msg: Message) -> WaJson:
    """A receipt for an own message: its new ack number, its chat and its key."""
    return {"ack": ACK_NUMBER[msg.ack], "chat": msg.chat_id, "key": key(account, msg)}


def _wid(serialized: str) -> WaJson:
    user, server = serialized.split("@", 1)
    return {"id": user, "server": server, "_serialized": serialized}


def pn_lid_entry(account: Account, person: Person | None, asked: str, on_whatsapp: bool) -> WaJson:
    """``contact.getPnLidEntry``: a number on WhatsApp always has its lid (the servers tell it); a
    lid maps to a number only once that number reached the account (as the contact info shows)."""
    if person is None:
        if ids.is_lid(asked):
            return {"lid": _wid(asked)}
        lid = {"lid": _wid(ids.lid_of(ids.jid_user(asked)))} if on_whatsapp else {}
        return {**lid, "phoneNumber": _wid(asked)}
    entry: WaJson = {"lid": _wid(person.lid)}
    if person.phone_known or not ids.is_lid(asked):
        entry["phoneNumber"] = _wid(person.phone_jid)
    name = account.contacts.get(person.phone_jid)
    if name:
        entry["contact"] = {"name": name, "pushname": name}
    return entry
