"""What a bridge hands the runtime: the screen, own identity, messages, acks and drift, in shapes
that do not say which bridge saw them (``bridge.Bridge`` is the interface that returns them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.jids import PAGE_ID_PREFIX
from shared.media.kinds import MediaKind
from worker.browser.drift import Drift
from worker.browser.selectors import CONFLICT, KnownDialog


class Screen(StrEnum):
    UNKNOWN = "unknown"
    LOADING = "loading"
    UNSUPPORTED = "unsupported"
    QR = "qr"
    QR_EXPIRED = "qr_expired"
    LINK_PHONE = "link_phone"  # "log in with phone number": the number is being typed
    LINK_CODE = "link_code"  # a pairing code is being shown
    PASSKEY = "passkey"  # WhatsApp asks for a passkey after the scan
    PASSKEY_CODE = "passkey_code"  # the passkey was accepted: a number to confirm on the phone
    SYNCING = "syncing"
    READY = "ready"
    OFFLINE = "offline"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class Dialog:
    """A popup on the page (UI in both bridges)."""

    text: str
    buttons: tuple[str, ...]
    known: KnownDialog | None

    @property
    def is_conflict(self) -> bool:
        return self.known is CONFLICT


@dataclass(frozen=True)
class ChatRef:
    """The WhatsApp ids of one chat: ``wa_chat_id`` is the id it was seen under; a person's phone
    id and lid when known (both: one person, one chat)."""

    wa_chat_id: str
    phone_jid: str | None = None
    lid: str | None = None
    is_group: bool = False
    name: str = ""

    @property
    def page_only(self) -> bool:
        return self.wa_chat_id.startswith(PAGE_ID_PREFIX)

    @property
    def all(self) -> frozenset[str]:
        return frozenset(i for i in (self.wa_chat_id, self.phone_jid, self.lid) if i)


@dataclass(frozen=True)
class ObservedMedia:
    """What WhatsApp tells of a message's file before it is downloaded."""

    kind: MediaKind
    mime: str
    size: int | None = None
    file_name: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None  # a small JPEG (image, video)
    source: str | None = None  # page bridge: the file's blob: URL in the page, when shown


@dataclass(frozen=True)
class ObservedMessage:
    wa_msg_id: str  # WhatsApp's bare message id
    chat: ChatRef
    direction: str  # in | out
    sender: str | None
    body: str  # the text; a media message's caption
    timestamp: datetime  # UTC; the capture time when WhatsApp's could not be read
    ack: str | None = None  # outgoing: pending | sent | delivered | read | failed
    msg_type: str = "text"  # text | a media kind | unsupported (a type the worker cannot read)
    media: ObservedMedia | None = None


@dataclass(frozen=True)
class AckChange:
    wa_msg_id: str
    status: str  # pending | sent | delivered | read | failed


@dataclass(frozen=True)
class Observation:
    """One look at WhatsApp Web (one long-poll), and what arrived since the last one."""

    screen: Screen
    url: str = ""
    qr_ref: str | None = None
    link_code: str | None = None
    phone: str | None = None  # own number, digits
    lid: str | None = None  # own lid, when the bridge knows it
    display_name: str | None = None
    dialog: Dialog | None = None
    excerpt: str | None = None  # page text, for screens the runtime may have to explain
    alert: str | None = None  # an alert on the screen (e.g. the passkey was not accepted)
    passkey_code: str | None = None  # the number to confirm on the phone
    messages: tuple[ObservedMessage, ...] = ()
    acks: tuple[AckChange, ...] = ()
    drift: tuple[Drift, ...] = ()
    reattached: bool = False  # the page was loaded anew: what came meanwhile needs a catch-up

    @property
    def logged_out_redirect(self) -> bool:
        return "post_logout=1" in self.url


@dataclass(frozen=True)
class Cursor:
    """The last stored message of a chat: a catch-up reads what came after it."""

    chat: ChatRef
    wa_msg_id: str
    timestamp: datetime


@dataclass(frozen=True)
class CatchUp:
    messages: tuple[ObservedMessage, ...]
    chats: int  # chats looked at
    drift: tuple[Drift, ...] = ()


@dataclass(frozen=True)
class Target:
    """Where a text goes: a stored chat (by its WhatsApp id) or a phone number (a new chat)."""

    wa_chat_id: str | None = None
    phone: str | None = None  # digits


@dataclass(frozen=True)
class MediaRef:
    """Where a bridge finds a message's file: its ids, and a blob: URL the page showed."""

    wa_msg_id: str
    wa_chat_id: str
    from_me: bool
    source: str | None = None


@dataclass(frozen=True)
class OutgoingFile:
    """A file to send: the bytes, as what, with which caption."""

    kind: MediaKind
    mime: str
    data: bytes
    file_name: str | None
    caption: str


@dataclass(frozen=True)
class SendOutcome:
    """A text handed to WhatsApp: its bare id, or None when the send could not be confirmed
    (``unconfirmed``: never re-sent); ``seen`` is what the bridge read on the way (store first)."""

    wa_msg_id: str | None
    ack: str | None = None
    seen: tuple[ObservedMessage, ...] = ()
    chat: ChatRef | None = None  # the chat's ids as WhatsApp knows them, when the bridge says


def normalized(text: str) -> str:
    """A text as compared with what WhatsApp shows of it (line ends, trailing blanks)."""
    return "\n".join(line.rstrip() for line in text.replace("\r", "").strip().split("\n"))
