"""``/ws/chat``: the live channel between the page and the simulated servers."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import WSMsgType, web

from simulator import bridge, ids, media
from simulator.conns import Conn
from simulator.engine import Engine
from simulator.errors import SimError, bad_request
from simulator.keys import ENGINE
from simulator.store import MAX_TEXT

log = logging.getLogger(__name__)

_MSG_ID = re.compile(r"^[0-9A-F]{8,40}$")
_CHAT_ID = re.compile(r"^(\d{7,15}@c\.us|\d{14,15}@lid|\d{5,20}(-\d{5,20})?@g\.us)$")


async def ws_chat(request: web.Request) -> web.WebSocketResponse:
    engine = request.app[ENGINE]
    ws = web.WebSocketResponse(heartbeat=10)
    await ws.prepare(request)
    conn = Conn(ws)
    try:
        async for raw in ws:
            if raw.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(raw.data)
                if not isinstance(data, dict):
                    raise bad_request("a frame must be a JSON object")
                await _dispatch(engine, conn, data)
            except (ValueError, SimError) as exc:
                log.warning("bad page frame: %s", exc)
                await conn.send({"type": "error", "message": str(exc)})
    finally:
        await engine.goodbye(conn)
    return ws


async def _dispatch(engine: Engine, conn: Conn, data: dict[str, Any]) -> None:
    kind = data.get("type")
    if kind == "hello":
        conn.tab_id = str(data.get("tabId") or "")
        device_id, runs_bridge = data.get("deviceId"), data.get("bridge")
        await engine.hello(
            conn,
            device_id if isinstance(device_id, str) else None,
            bool(data.get("resume")),
            runs_bridge if isinstance(runs_bridge, bool) else None,
        )
    elif kind == "qr_reload":
        await engine.qr_reload(conn)
    elif kind == "link_code_request":
        await engine.request_link_code(conn, data.get("phone"))
    elif kind == "qr_back":
        await engine.back_to_qr(conn)
    elif kind == "passkey_assertion":
        await engine.passkey_assertion(conn, data.get("credential"))
    elif kind == "dialog_done":
        engine.dialog_done(conn, data.get("id"))
    elif kind == "takeover":
        await engine.takeover(conn)
    elif kind == "logout":
        await engine.logout_here(conn)
    elif kind == "check_phone":
        await _check_phone(engine, conn, data.get("phone"))
    elif kind in ("open", "close", "send"):
        await _chat_action(engine, conn, kind, data)
    elif bridge.is_request(kind):
        await bridge.handle(engine, conn, data)
    else:
        raise bad_request(f"unknown frame type {kind!r}")


async def _chat_action(engine: Engine, conn: Conn, kind: str, data: dict[str, Any]) -> None:
    found = engine.linked(conn)
    if found is None or not conn.active:
        raise bad_request("this tab is not the active window of a linked device")
    _, account = found
    if kind == "close":
        conn.open_chat = None
        return
    chat_id = data.get("chatId")
    if not isinstance(chat_id, str) or not _CHAT_ID.match(chat_id):
        raise bad_request(f"bad chatId {chat_id!r}")
    if (chat_id.endswith(("@g.us", "@lid"))) and chat_id not in account.chats:
        raise bad_request(f"unknown chat {chat_id!r}")
    if kind == "open":
        await engine.open_chat(conn, account, chat_id)
        return
    msg_id, text = data.get("id"), data.get("text")
    if not isinstance(msg_id, str) or not _MSG_ID.match(msg_id):
        raise bad_request(f"bad message id {msg_id!r}")
    file = media.from_upload(engine.store, data["media"]) if data.get("media") else None
    if file is not None and text in (None, ""):  # a file without a caption
        text = ""
    elif not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise bad_request("text must be a non-empty string")
    await engine.send_text(account, chat_id, msg_id, text, file)


async def _check_phone(engine: Engine, conn: Conn, phone: object) -> None:
    """Is a deep-linked number on WhatsApp? (valid digits and not configured as invalid)."""
    found = engine.linked(conn)
    digits = "".join(ch for ch in phone if ch not in " +-()") if isinstance(phone, str) else ""
    valid = ids.is_phone(digits) and digits not in engine.config.invalid_numbers
    reply: dict[str, Any] = {"type": "phone", "phone": digits, "valid": valid}
    if valid and found is not None:
        account, jid = found[1], ids.user_jid(digits)
        person = engine.store.person(account, jid, phone_known=True)
        chat = engine.store.chat_of_person(account, person)  # one person, one chat
        chat_id = chat.chat_id if chat else jid
        reply.update(chatId=chat_id, name=chat.name if chat else engine.store.name_of(account, jid))
    await conn.send(reply)
