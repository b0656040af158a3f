"""Module bridge, reading side (pure): what ``js/module/bridge.js`` returns, in wa-js's shapes, made
into the bridge interface's shapes; the screen from the connection (wa-js) and the UI (page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.jids import is_group, is_lid, is_phone, normalize_jid
from shared.media.kinds import WA_TYPES
from worker.browser.drift import Drift, DriftKind
from worker.browser.media_fields import DEFAULT_MIME, jpeg_thumbnail
from worker.browser.observed import AckChange, ChatRef, ObservedMedia, ObservedMessage, Screen
from worker.browser.pages import Snapshot, phone_from_wid

# wa-js's ack (enum ACK): -1 error (and lower: media errors), 0 clock, 1 sent, 2 delivered,
# 3 read, 4 played
ACKS = {0: "pending", 1: "sent", 2: "delivered", 3: "read", 4: "read"}
# what WhatsApp keeps in a chat without anyone having written it: not a message to store
SYSTEM_TYPES = frozenset(
    {
        "e2e_notification",
        "notification",
        "notification_template",
        "gp2",
        "broadcast_notification",
        "call_log",
        "protocol",
        "revoked",
        "ciphertext",
        "reaction",
        "pinned_message",
        "keep_in_chat",
    }
)
UNSUPPORTED = "unsupported"  # a message of a type the worker cannot read: kept, never dropped
# the UI decides these in both bridges
_UI_SCREENS = (Screen.UNSUPPORTED, Screen.CONFLICT, Screen.PASSKEY, Screen.PASSKEY_CODE)


@dataclass(frozen=True)
class Conn:
    """The connection as wa-js reports it (``conn()`` in bridge.js)."""

    ready: bool = False  # WPP is on the page and ready
    authenticated: bool = False
    main_ready: bool = False
    online: bool = False
    idle: bool = False  # the QR expired unscanned
    auth_code: str | None = None  # the QR's content (wa-js AuthCode.fullCode)
    link_code: str | None = None
    me: str | None = None
    lid: str | None = None
    name: str | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> Conn:
        raw = raw or {}
        return cls(
            ready=bool(raw.get("ready")),
            authenticated=bool(raw.get("authenticated")),
            main_ready=bool(raw.get("mainReady")),
            online=bool(raw.get("online")),
            idle=bool(raw.get("idle")),
            auth_code=_text(raw.get("authCode")),
            link_code=_text(raw.get("linkCode")),
            me=_text(raw.get("me")),
            lid=_text(raw.get("lid")),
            name=_text(raw.get("name")),
        )

    @property
    def phone(self) -> str | None:
        return phone_from_wid(self.me)


def screen(conn: Conn, ui: Snapshot) -> Screen:
    """WhatsApp's state from wa-js; what only the UI shows (an unsupported browser, the conflict
    modal, the passkey check and its number to confirm) from the page."""
    if ui.screen in _UI_SCREENS:
        return ui.screen
    if not conn.ready:
        return Screen.LOADING
    if conn.authenticated:
        if not conn.main_ready or conn.phone is None:  # ready: synced, and it knows who it is
            return Screen.SYNCING
        return Screen.READY if conn.online else Screen.OFFLINE
    if conn.link_code:
        return Screen.LINK_CODE
    if conn.idle:
        return Screen.QR_EXPIRED
    return Screen.QR if conn.auth_code else Screen.LOADING


@dataclass
class Items:
    messages: list[ObservedMessage]
    acks: list[AckChange]
    drift: list[Drift]


def items(raw: list[dict[str, Any]], now: datetime | None = None) -> Items:
    """Queued items (``msg``, ``ack``) in the order wa-js reported them."""
    out = Items([], [], [])
    now = now or datetime.now(UTC)
    for item in sorted(raw, key=lambda i: int(i.get("seq") or 0)):
        if item.get("kind") == "ack":
            out.acks += acks(item, out.drift)
        elif item.get("kind") == "msg":
            found = message(item, now, out.drift)
            if found is not None:
                out.messages.append(found)
        else:
            out.drift.append(Drift.of(DriftKind.EVENT_UNPARSED, str(item)[:80], key=str(item)))
    return out


def acks(item: dict[str, Any], drift: list[Drift]) -> list[AckChange]:
    status = ack_status(item.get("ack"))
    ids = [i for i in item.get("ids") or [] if isinstance(i, str) and i]
    if status is None or not ids:
        drift.append(Drift.of(DriftKind.EVENT_UNPARSED, f"ack {item.get('ack')!r}", key=str(item)))
        return []
    return [AckChange(i, status) for i in ids]


def ack_status(ack: object) -> str | None:
    if isinstance(ack, bool) or not isinstance(ack, int):
        return None
    return "failed" if ack < 0 else ACKS.get(ack)


def message(item: dict[str, Any], now: datetime, drift: list[Drift]) -> ObservedMessage | None:
    """One wa-js message; None for WhatsApp's own notices, and for what cannot be read (drift).
    A type the worker does not know is kept as ``unsupported`` (and noted as drift)."""
    kind = _text(item.get("type")) or "chat"
    if kind in SYSTEM_TYPES:
        return None
    msg_type, media = message_type(kind, item.get("media"))
    if msg_type == UNSUPPORTED:
        drift.append(Drift.of(DriftKind.MESSAGE_TYPE_UNKNOWN, kind, key=kind))
    bare, remote = _text(item.get("bare")), _text(item.get("remote"))
    if not bare or not remote:
        drift.append(
            Drift.of(DriftKind.EVENT_UNPARSED, f"message {item.get('id')!r}", key=str(item))
        )
        return None
    from_me = bool(item.get("fromMe"))
    chat = chat_ref(item.get("chat"), remote)
    if not chat.name and not from_me and not chat.is_group:
        chat = ChatRef(chat.wa_chat_id, chat.phone_jid, chat.lid, False, _sender(item) or "")
    t = item.get("t")
    stamp = datetime.fromtimestamp(t, UTC) if isinstance(t, int | float) and t > 0 else None
    if stamp is None:
        drift.append(Drift.of(DriftKind.TIME_UNPARSED, f"t={t!r}", key=bare))
    return ObservedMessage(
        wa_msg_id=bare,
        chat=chat,
        direction="out" if from_me else "in",
        sender=None if from_me else _sender(item),
        body=_text(item.get("body")) or "",
        timestamp=stamp or now,
        ack=(ack_status(item.get("ack")) or "sent") if from_me else None,
        msg_type=msg_type,
        media=media,
    )


def message_type(wa_type: str, raw: object) -> tuple[str, ObservedMedia | None]:
    """Our type of a wa-js message type: text, a media kind (with what wa-js tells of the file),
    or ``unsupported``."""
    if wa_type == "chat":
        return "text", None
    kind = WA_TYPES.get(wa_type)
    if kind is None:
        return UNSUPPORTED, None
    fields = raw if isinstance(raw, dict) else {}
    mime = _text(fields.get("mimetype")) or DEFAULT_MIME[kind]
    return kind, ObservedMedia(
        kind=kind,
        mime=mime,
        size=_count(fields.get("size")),
        file_name=_text(fields.get("filename")),
        duration_s=_seconds(fields.get("duration")),
        width=_count(fields.get("width")),
        height=_count(fields.get("height")),
        thumbnail=jpeg_thumbnail(fields.get("thumb")),
    )


def _count(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def _seconds(value: object) -> float | None:
    if isinstance(value, str) and value.isdigit():  # older WhatsApp builds give a string
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def chat_ref(raw: dict[str, Any] | None, remote: str) -> ChatRef:
    """The chat's ids as bridge.js resolved them (getPnLidEntry); the message's own chat id
    alone when it could not."""
    raw = raw or {}
    wa_id = normalize_jid(_text(raw.get("id")) or remote)
    ids = [normalize_jid(i) for i in (wa_id, _text(raw.get("phone")), _text(raw.get("lid"))) if i]
    group = bool(raw.get("group")) or is_group(wa_id)
    return ChatRef(
        wa_chat_id=wa_id,
        phone_jid=None if group else next((i for i in ids if is_phone(i)), None),
        lid=None if group else next((i for i in ids if is_lid(i)), None),
        is_group=group,
        name=_text(raw.get("name")) or "",
    )


def _sender(item: dict[str, Any]) -> str | None:
    """Who wrote an incoming message: the name they gave WhatsApp, else their number."""
    name = _text(item.get("notifyName"))
    if name:
        return name
    author = _text(item.get("author")) or _text(item.get("from"))
    if author and is_phone(normalize_jid(author)):
        return phone_from_wid(author)
    return author


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
