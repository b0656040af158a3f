"""The server-side state: linked accounts, their devices, contacts, chats and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from simulator.passkeys import Passkey

Ack = Literal["pending", "sent", "delivered", "read", "failed"]
ACK_ORDER: dict[str, int] = {"failed": -1, "pending": 0, "sent": 1, "delivered": 2, "read": 3}
IdForm = Literal["bare", "legacy", "opaque"]
Profile = Literal["2026", "legacy"]
# wa-js's Msg.type of a media message ("ptt": a voice note)
MediaType = Literal["image", "video", "audio", "ptt", "document", "sticker"]


@dataclass(eq=False)
class Media:
    """The file of a media message, as WhatsApp's servers hold it (served at ``/media/<id>``)."""

    media_id: str
    kind: MediaType
    mime: str
    data: bytes
    file_name: str | None = None
    duration: int | None = None  # seconds (audio, voice, video)
    width: int | None = None
    height: int | None = None
    thumb: bytes | None = None  # a small JPEG (image, video): wa-js's body of the message
    failures_left: int = 0  # downloads that fail before one succeeds (failure injection)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(eq=False)
class Message:
    msg_id: str  # the bare id: 3EB0… (own), 3A…/32 hex/AC… (contacts), or an opaque string
    chat_id: str  # the chat it shows in (the id that chat was created under)
    from_me: bool
    sender: str  # phone JID of the author
    author: str  # name shown in data-pre-plain-text
    text: str
    ts: int  # unix seconds
    seq: int  # global order of arrival
    ack: Ack
    remote: str = ""  # the id it came in under (a phone JID, a lid, a group); "" = chat_id
    participant: str | None = None  # a group message from others: its author as sent (pn or lid)
    id_form: IdForm = "bare"  # how the 2026 page shows its data-id
    from_phone: bool = False  # an own message the phone itself sent (not this computer)
    media: Media | None = None  # a media message: ``text`` is its caption

    @property
    def serialized(self) -> str:
        """``true_/false_<remote>_<ID>``: the control API's ``messageId`` (as before 2026)."""
        return f"{'true' if self.from_me else 'false'}_{self.remote or self.chat_id}_{self.msg_id}"

    def page_id(self, profile: Profile) -> str:
        """The row's ``data-id``: legacy pages show the serialized id, 2026 pages the bare id."""
        if profile == "legacy":
            return self.serialized
        if self.id_form != "legacy":
            return self.msg_id
        return self.serialized + (f"_{self.participant}" if self.participant else "")


@dataclass(eq=False)
class Chat:
    chat_id: str
    name: str
    is_group: bool
    messages: list[Message] = field(default_factory=list)
    unread: int = 0
    activity: int = 0  # seq of the last message (or of creation): newest activity first
    members: set[str] = field(default_factory=set)  # groups: phone JIDs of those who wrote

    @property
    def last(self) -> Message | None:
        return self.messages[-1] if self.messages else None


@dataclass(eq=False)
class Person:
    """A contact of an account: both of its ids; whether the account has seen its number."""

    phone_jid: str
    lid: str
    phone_known: bool = False  # the number reached this account (not only the lid)


@dataclass(eq=False)
class Dialog:
    """A popup waiting on a device's page until its button is pressed."""

    dialog_id: str
    kind: str
    title: str | None
    text: str
    button: str


@dataclass(eq=False)
class Device:
    """One browser profile: pending while it shows QR codes, linked once scanned."""

    device_id: str
    noise_pub: str
    noise_priv: str
    status: Literal["pending", "linked"] = "pending"
    data_ref: str | None = None  # current QR content (pending only)
    previous_ref: str | None = None  # still accepted for one rotation
    phone: str | None = None
    device_no: int = 0
    taken_by_other: bool = False  # a (real or pretended) other window took over: conflict
    link_code: str | None = None  # pending: the pairing code on screen ("log in with phone")
    link_phone: str | None = None  # the number typed on the page for that code
    passkey_phone: str | None = None  # pending: scanned, waiting for the passkey check
    passkey_name: str = ""  # the display name the scan gave (the account gets it once linked)
    passkey_challenge: str | None = None  # the challenge of the attempt on screen (single use)
    passkey_code: str | None = None  # verified: the number the phone must confirm
    dialogs: list[Dialog] = field(default_factory=list)  # popups not dismissed yet
    fresh_look_due: bool = True  # the 2026 page greets each new device with "A fresh look"

    @property
    def wid(self) -> str | None:
        return f"{self.phone}:{self.device_no}@c.us" if self.phone else None


@dataclass(eq=False)
class Account:
    """A phone: its chats live here, whichever of its devices is connected."""

    phone: str
    display_name: str
    chats: dict[str, Chat] = field(default_factory=dict)
    contacts: dict[str, str] = field(default_factory=dict)  # JID (person or group) -> name
    people: dict[str, Person] = field(default_factory=dict)  # phone JID -> the person
    by_data_id: dict[str, Message] = field(default_factory=dict)  # serialized id -> message
    by_id: dict[str, Message] = field(default_factory=dict)  # bare id -> message
    online: bool = True
    held: list[Message] = field(default_factory=list)  # inbound while the network is cut
    next_device_no: int = 1
    received: int = 0  # messages from contacts so far (their ids take turns in shape)
    passkey: bool = False  # a new device of this account must pass a passkey check
    passkey_key: Passkey | None = None  # the registered passkey that check verifies against
    passkey_confirm: bool = False  # after the passkey, a number to confirm on the phone

    @property
    def jid(self) -> str:
        return f"{self.phone}@c.us"
