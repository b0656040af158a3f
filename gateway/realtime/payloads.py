"""Domain events (``wa:events``) -> Socket.IO event names and payloads (DESIGN §6), and the
replay of a session's current state on connect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared import events
from shared.db.types import PasskeyRequest, WaSession
from shared.passkeys import RequestOptions


@dataclass(frozen=True)
class Outgoing:
    name: str
    data: dict[str, Any]
    admins_only: bool = False


def _sid(event: events.Event) -> str:
    return str(event.session_id)


# domain event type -> (Socket.IO name, to admins only); every sessioned event carries sessionId
_SOCKET_NAMES: dict[str, tuple[str, bool]] = {
    "state": ("whatsapp:state", False),
    "qr": ("whatsapp:qr", True),
    "pairing_code": ("whatsapp:pairing_code", True),
    "passkey_required": ("whatsapp:passkey_required", True),
    "passkey_confirmation": ("whatsapp:passkey_confirmation", True),
    "ready": ("whatsapp:ready", False),
    "message": ("whatsapp:message", False),
    "message_sent": ("whatsapp:message_sent", False),
    "message_ack": ("whatsapp:message_ack", False),
    "message_media": ("whatsapp:message_media", False),
    "disconnected": ("whatsapp:disconnected", False),
    "chat": ("whatsapp:chat_updated", False),
}
assert set(_SOCKET_NAMES) == set(events.EVENT_TYPES), "every event type has its socket name"


def to_socket(event: events.Event) -> Outgoing:
    """The Socket.IO event of a domain event; a logged one carries its ``eventId`` (a client
    resumes from the last one it received)."""
    data = event.data.to_wire()
    if event.event_id is not None:
        data["eventId"] = event.event_id
    name, admins_only = _SOCKET_NAMES[event.type]
    return Outgoing(name, {"sessionId": _sid(event), **data}, admins_only=admins_only)


def to_root(event: events.Event) -> Outgoing | None:
    """The single-session frontend's events on ``/`` (for the company's default session)."""
    if isinstance(event, events.StateEvent):
        return Outgoing("wa:state", {"state": event.data.state, "sessionId": _sid(event)})
    if isinstance(event, events.QrEvent):
        return Outgoing("wa:qr", {"qr": event.data.qr_code, "sessionId": _sid(event)}, True)
    return None


# before the server closes a socket: {reason, reconnect} (gateway/realtime/sockets.py)
CLOSED_EVENT = "connection-closed"
# after the replay of a resumed socket: {lastEventId, replayed} (gateway/realtime/resume.py)
RESUMED_EVENT = "resume-complete"
# the socket's lastEventId cannot be replayed: {reason, lastEventId}; reload, keep the new id
RESYNC_EVENT = "resync_required"

# server -> client on /whatsapp (DESIGN §6), then what the client may send
SERVER_EVENTS = (
    "connection-confirmed",
    "whatsapp:state",
    "whatsapp:qr",
    "whatsapp:pairing_code",
    "whatsapp:passkey_required",
    "whatsapp:passkey_confirmation",
    "whatsapp:ready",
    "whatsapp:message",
    "whatsapp:message_sent",
    "whatsapp:message_ack",
    "whatsapp:message_media",
    "whatsapp:disconnected",
    "whatsapp:chat_updated",
    RESUMED_EVENT,
    RESYNC_EVENT,
    "pong",
    CLOSED_EVENT,
)
CLIENT_EVENTS = ("ping",)
LEGACY_EVENTS = ("wa:state", "wa:qr")  # root namespace "/", the company's default session


def _pairing_replay(s: WaSession) -> list[Outgoing]:
    """The pairing code on screen, while the session shows it (state qr) and it is valid."""
    expires = s.pairing_code_expires_at
    if s.state != "qr" or not s.pairing_code or not expires or expires <= datetime.now(UTC):
        return []
    event = events.PairingCodeEvent(
        session_id=s.id,
        company_id=s.company_id,
        data=events.PairingCodeData(
            code=s.pairing_code, phone=s.pairing_phone or "", expires_at=expires
        ),
    )
    out = to_socket(event)
    return [Outgoing(out.name, {**out.data, "replay": True}, admins_only=True)]


def passkey_replay(s: WaSession, request: PasskeyRequest | None) -> list[Outgoing]:
    """The passkey request the session's page waits on (admins only), as its live event."""
    if request is None or s.state not in ("passkey_required", "passkey_confirmation"):
        return []
    env = {"session_id": s.id, "company_id": s.company_id}
    event: events.Event
    if request.status == "confirming" and request.confirmation_code:
        event = events.PasskeyConfirmationEvent(
            **env,
            data=events.PasskeyConfirmationData(
                request_id=request.id,
                code=request.confirmation_code,
                expires_at=request.confirmation_expires_at,
            ),
        )
    elif request.status in ("pending", "answered"):
        event = events.PasskeyRequiredEvent(
            **env,
            data=events.PasskeyRequiredData(
                request_id=request.id,
                options=RequestOptions.model_validate(request.options),
                origin=request.origin,
                expires_at=request.expires_at,
            ),
        )
    else:
        return []
    out = to_socket(event)
    return [Outgoing(out.name, {**out.data, "replay": True}, admins_only=True)]


def replay_events(
    s: WaSession, *, root: bool, admin: bool, qr_code: str | None = None
) -> list[Outgoing]:
    """A session's current state as a just-connected socket gets it (``replay: true``): state,
    and for admins the QR (``qr_code``: its stored PNG as a data URL) and pairing code on
    screen; on the root namespace the legacy ``wa:state`` / ``wa:qr``."""
    sid = str(s.id)
    show_qr = admin and s.state == "qr" and s.qr_payload and qr_code
    if root:
        out = [Outgoing("wa:state", {"state": s.state, "sessionId": sid})]
        if show_qr:
            out.append(Outgoing("wa:qr", {"qr": qr_code, "sessionId": sid}))
        return out
    out = [
        Outgoing(
            "whatsapp:state",
            {
                "sessionId": sid,
                "state": s.state,
                "previous": None,
                "reason": s.state_reason,
                "detail": s.state_detail,
                "replay": True,
            },
        )
    ]
    if show_qr:
        out.append(
            Outgoing(
                "whatsapp:qr",
                {
                    "sessionId": sid,
                    "qrCode": qr_code,
                    "qrRaw": s.qr_payload,
                    "expiresAt": s.qr_expires_at.isoformat() if s.qr_expires_at else None,
                    "replay": True,
                },
            )
        )
    if s.state == "ready":
        out.append(
            Outgoing(
                "whatsapp:ready",
                {
                    "sessionId": sid,
                    "phoneNumber": s.phone,
                    "displayName": s.display_name,
                    "replay": True,
                },
            )
        )
    return out + (_pairing_replay(s) if admin else [])
