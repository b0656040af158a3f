"""Domain events (``wa:events``) -> Socket.IO event names and payloads (DESIGN §6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import events


@dataclass(frozen=True)
class Outgoing:
    name: str
    data: dict[str, Any]
    admins_only: bool = False


def _sid(event: events.Event) -> str:
    return str(event.session_id)


def to_socket(event: events.Event) -> Outgoing:
    data = event.data.to_wire()
    match event:
        case events.StateEvent():
            return Outgoing("whatsapp:state", {"sessionId": _sid(event), **data})
        case events.QrEvent():
            return Outgoing("whatsapp:qr", {"sessionId": _sid(event), **data}, admins_only=True)
        case events.ReadyEvent():
            return Outgoing("whatsapp:ready", {"sessionId": _sid(event), **data})
        case events.MessageEvent():
            return Outgoing("whatsapp:message", {"sessionId": _sid(event), **data})
        case events.MessageSentEvent():
            return Outgoing("whatsapp:message_sent", {"sessionId": _sid(event), **data})
        case events.MessageAckEvent():
            return Outgoing("whatsapp:message_ack", {"sessionId": _sid(event), **data})
        case events.DisconnectedEvent():
            return Outgoing("whatsapp:disconnected", {"sessionId": _sid(event), **data})
        case events.ChatEvent():
            return Outgoing("whatsapp:chat_updated", {"sessionId": _sid(event), **data})
    raise ValueError(f"unmapped event type {event.type}")


def to_root(event: events.Event) -> Outgoing | None:
    """The single-session frontend's events on ``/`` (for the company's default session)."""
    if isinstance(event, events.StateEvent):
        return Outgoing("wa:state", {"state": event.data.state, "sessionId": _sid(event)})
    if isinstance(event, events.QrEvent):
        return Outgoing("wa:qr", {"qr": event.data.qr_code, "sessionId": _sid(event)}, True)
    return None


# before the server closes a socket: {reason, reconnect} (gateway/realtime/sockets.py)
CLOSED_EVENT = "connection-closed"

# server -> client on /whatsapp (DESIGN §6), then what the client may send
SERVER_EVENTS = (
    "connection-confirmed",
    "whatsapp:state",
    "whatsapp:qr",
    "whatsapp:ready",
    "whatsapp:message",
    "whatsapp:message_sent",
    "whatsapp:message_ack",
    "whatsapp:disconnected",
    "whatsapp:chat_updated",
    "pong",
    CLOSED_EVENT,
)
CLIENT_EVENTS = ("ping",)
LEGACY_EVENTS = ("wa:state", "wa:qr")  # root namespace "/", the company's default session
