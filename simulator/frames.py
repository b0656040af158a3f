"""Pushes built per tab: the page's form for its profile, wa-js's too for tabs with the stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simulator import views, wa
from simulator.conns import Conn
from simulator.models import Account, Chat, Message

Frame = dict[str, Any]
Payload = Frame | Callable[[Conn], Frame]  # a frame, or one built for each tab


def message(account: Account, msg: Message) -> Callable[[Conn], Frame]:
    """A message arrived in (or left from) one of the account's chats."""
    chat_row = account.chats[msg.chat_id]
    page_chat = views.page_chat(chat_row)
    shapes = {"msg": wa.message(account, msg), "chat": wa.chat(account, chat_row)}
    return lambda conn: {
        "type": "msg",
        "message": views.page_message(msg, conn.profile),
        "chat": page_chat,
        **({"wa": shapes} if conn.bridge else {}),
    }


def chat(account: Account, item: Chat) -> Callable[[Conn], Frame]:
    """A chat's row changed (read marks)."""
    page_chat, shape = views.page_chat(item), wa.chat(account, item)
    return lambda conn: {
        "type": "chat",
        "chat": page_chat,
        **({"wa": {"chat": shape}} if conn.bridge else {}),
    }


def ack(account: Account, msg: Message) -> Callable[[Conn], Frame]:
    """An own message's tick moved (sent after a network cut, delivered, read)."""
    change = wa.ack_change(account, msg)
    return lambda conn: {
        "type": "ack",
        "chatId": msg.chat_id,
        "id": msg.page_id(conn.profile),
        "ack": msg.ack,
        **({"wa": change} if conn.bridge else {}),
    }
