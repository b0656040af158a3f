"""What the page's WPP stand-in asks the simulated servers over ``/ws/chat``: ``wpp_*`` requests.

Each request carries ``req`` (a number the page picks) and gets one ``wpp_reply {req, result}`` or
``wpp_reply {req, error: {code, message}}``; pushes it causes (``msg``, ``chat``, ``ack``, ``qr``,
``link_code``) reach every tab as usual, before the reply.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from simulator import frames, ids, media, wa
from simulator.conns import Conn
from simulator.engine import Engine
from simulator.errors import SimError, bad_request, not_found
from simulator.models import Account, Chat, Message
from simulator.store import MAX_TEXT

Result = dict[str, Any]
_MSG_ID = re.compile(r"^[0-9A-F]{8,40}$")
_WID = re.compile(r"^(\d{7,15}@c\.us|\d{14,15}@lid|\d{5,20}(-\d{5,20})?@g\.us)$")
MAX_HISTORY = 10_000  # messages one getMessages call may return


async def handle(engine: Engine, conn: Conn, data: dict[str, Any]) -> None:
    req = data.get("req")
    if isinstance(req, bool) or not isinstance(req, int):
        raise bad_request("req must be an integer")
    kind = str(data.get("type"))
    try:
        result = await _REQUESTS[kind](engine, conn, data)
    except SimError as exc:
        await conn.send({"type": "wpp_reply", "req": req, "error": _error(exc)})
        return
    await conn.send({"type": "wpp_reply", "req": req, "result": result})


def is_request(kind: object) -> bool:
    return kind in _REQUESTS


def _error(exc: SimError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message}


def _account(engine: Engine, conn: Conn) -> Account:
    found = engine.linked(conn)
    if found is None or not conn.active:
        raise SimError(409, "not_authenticated", "this tab is not a linked device's active window")
    return found[1]


def _wid(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _WID.match(value):
        raise bad_request(f"bad {key} {value!r}", key)
    return value


def _chat(account: Account, data: dict[str, Any]) -> Chat:
    chat_id = _wid(data, "chatId")
    chat = account.chats.get(chat_id)
    if chat is None:
        raise not_found(f"Chat not found for {chat_id}", "chat_not_found", "chatId")
    return chat


async def _mark_read(engine: Engine, account: Account, chat: Chat) -> None:
    """As opening the chat does: its inbound messages become read, its badge goes."""
    if not account.online:
        return
    had_unread = chat.unread > 0
    if engine.store.mark_read(chat) or had_unread:
        await engine.push(account, frames.chat(account, chat))


async def send(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``chat.sendTextMessage``: to a chat (pn, lid, group) or a new number; no navigation."""
    account = _account(engine, conn)
    target = _wid(data, "chatId")
    msg_id, text = data.get("id"), data.get("text")
    if not isinstance(msg_id, str) or not _MSG_ID.match(msg_id):
        raise bad_request(f"bad message id {msg_id!r}", "id")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise bad_request(f"text must be 1-{MAX_TEXT} characters, not only spaces", "text")
    chat_id = engine.store.send_target(account, target, engine.config.invalid_numbers)
    chat = account.chats.get(chat_id)
    if chat is not None and data.get("markRead") is True:  # wa-js's default: read before send
        await _mark_read(engine, account, chat)
    msg = await engine.send_text(account, chat_id, msg_id, text)
    return {"msg": wa.message(account, msg), "chat": wa.chat(account, account.chats[chat_id])}


async def send_media(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``chat.sendFileMessage``: the page uploaded the file; ``caption`` may be empty."""
    account = _account(engine, conn)
    target = _wid(data, "chatId")
    msg_id, caption = data.get("id"), data.get("caption", "")
    if not isinstance(msg_id, str) or not _MSG_ID.match(msg_id):
        raise bad_request(f"bad message id {msg_id!r}", "id")
    if not isinstance(caption, str) or len(caption) > MAX_TEXT:
        raise bad_request(f"caption must be at most {MAX_TEXT} characters", "caption")
    chat_id = engine.store.send_target(account, target, engine.config.invalid_numbers)
    file = media.from_upload(engine.store, data.get("media"))
    msg = await engine.send_text(account, chat_id, msg_id, caption, file)
    return {"msg": wa.message(account, msg), "chat": wa.chat(account, account.chats[chat_id])}


async def messages(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``chat.getMessages``: ``count`` (-1 = all) messages before or after ``anchor`` (a bare
    id; none = the newest), oldest first, the anchor itself excluded."""
    account = _account(engine, conn)
    chat = _chat(account, data)
    count, direction, anchor = data.get("count"), data.get("direction"), data.get("anchor")
    if isinstance(count, bool) or not isinstance(count, int) or count == 0 or count < -1:
        raise bad_request("count must be -1 (all) or a positive integer", "count")
    if direction not in ("before", "after"):
        raise bad_request('direction must be "before" or "after"', "direction")
    if anchor is not None and not isinstance(anchor, str):
        raise bad_request("anchor must be a message id", "anchor")
    picked = _page(chat.messages, min(count, MAX_HISTORY) if count > 0 else MAX_HISTORY,
                   direction, anchor)  # fmt: skip
    return {"messages": [wa.message(account, m) for m in picked]}


def _page(history: list[Message], count: int, direction: str, anchor: str | None) -> list[Message]:
    if anchor is None:
        return history[-count:]
    at = next((i for i, m in enumerate(history) if m.msg_id == anchor), None)
    if at is None:
        return []
    if direction == "after":
        return history[at + 1 : at + 1 + count]
    return history[max(0, at - count) : at]


async def mark_read(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``chat.markIsRead``: answers the unread count before."""
    account = _account(engine, conn)
    chat = _chat(account, data)
    unread = chat.unread
    await _mark_read(engine, account, chat)
    return {"unreadCount": unread}


async def pn_lid(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``contact.getPnLidEntry`` for a ``@c.us`` or ``@lid`` id."""
    account = _account(engine, conn)
    asked = _wid(data, "id")
    if asked.endswith("@g.us"):
        raise bad_request("getPnLidEntry only supports @c.us and @lid", "id")
    store = engine.store
    person = account.people.get(store.lid_owner.get(asked, asked))
    on_whatsapp = ids.jid_user(asked) not in engine.config.invalid_numbers
    return wa.pn_lid_entry(account, person, asked, on_whatsapp)


async def link_code(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``conn.genLinkDeviceCodeForPhoneNumber``: the page switches to the code, as for "Next"."""
    code = await engine.request_link_code(conn, data.get("phone"))
    if code is None:
        raise bad_request("phone must be 7-15 digits", "phone", "invalid_phone")
    return {"code": code}


async def refresh_qr(engine: Engine, conn: Conn, data: dict[str, Any]) -> Result:
    """``conn.refreshQR``: a new code at once (the ``qr`` push follows)."""
    await engine.refresh_qr(conn)
    return {}


_REQUESTS: dict[str, Callable[[Engine, Conn, dict[str, Any]], Awaitable[Result]]] = {
    "wpp_send": send,
    "wpp_send_media": send_media,
    "wpp_messages": messages,
    "wpp_read": mark_read,
    "wpp_pn_lid": pn_lid,
    "wpp_link_code": link_code,
    "wpp_refresh_qr": refresh_qr,
}
