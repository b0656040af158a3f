"""The server-side state: linked accounts, their devices, chats and messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Ack = Literal["pending", "sent", "delivered", "read", "failed"]
ACK_ORDER: dict[str, int] = {"failed": -1, "pending": 0, "sent": 1, "delivered": 2, "read": 3}


@dataclass(eq=False)
class Message:
    msg_id: str  # 20 upper-case hex chars
    chat_id: str
    from_me: bool
    sender: str  # JID of the author
    author: str  # name shown in data-pre-plain-text
    text: str
    ts: int  # unix seconds
    seq: int  # global order of arrival
    ack: Ack

    @property
    def data_id(self) -> str:
        return f"{'true' if self.from_me else 'false'}_{self.chat_id}_{self.msg_id}"


@dataclass(eq=False)
class Chat:
    chat_id: str
    name: str
    is_group: bool
    messages: list[Message] = field(default_factory=list)
    unread: int = 0
    activity: int = 0  # seq of the last message (or of creation): newest activity first

    @property
    def last(self) -> Message | None:
        return self.messages[-1] if self.messages else None


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
    by_data_id: dict[str, Message] = field(default_factory=dict)
    online: bool = True
    held: list[Message] = field(default_factory=list)  # inbound while the network is cut
    next_device_no: int = 1

    @property
    def jid(self) -> str:
        return f"{self.phone}@c.us"
