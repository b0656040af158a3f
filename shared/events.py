"""Domain events published on ``wa:events`` (DESIGN §6): one typed model per type.

Wire form: ``{"v":1,"eventId","type":T,"sessionId","companyId","ts","data":{...}}`` with
camelCase keys; ``eventId`` is the company's event-log id (shared/db/repos/event_log.py), set once
the event is logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, get_args
from uuid import UUID

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from shared.passkeys import RequestOptions
from shared.states import MessageStatus, SessionState


class Wire(BaseModel):
    """Base for everything crossing a process boundary: camelCase on the wire, strict shape."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def to_wire(self) -> dict[str, object]:
        return self.model_dump(mode="json", by_alias=True)


class MediaPayload(Wire):
    """A message's media as clients see it. ``url`` streams the file to a reader of the chat
    (range requests); ``status``: pending (not downloaded yet), ready, unavailable (downloads
    failed: ``POST {url}/retry`` tries again), expired (removed by retention)."""

    kind: Literal["image", "video", "audio", "voice", "document", "sticker"]
    mime: str
    size: int | None = None
    file_name: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: str | None = None  # data:image/jpeg;base64,... when WhatsApp has one
    status: Literal["pending", "ready", "unavailable", "expired"]
    url: str


class MessagePayload(Wire):
    id: UUID
    chat_id: UUID
    wa_chat_id: str
    wa_message_id: str | None
    client_message_id: str | None
    direction: Literal["in", "out"]
    sender: str | None
    body: str
    type: str
    status: MessageStatus
    error: str | None = None
    timestamp: datetime | None
    created_at: datetime
    media: MediaPayload | None = None  # body is the caption of a media message


class ChatPayload(Wire):
    id: UUID
    wa_chat_id: str
    phone_jid: str | None = None  # <digits>@c.us when known
    lid: str | None = None  # <digits>@lid when known (WhatsApp's privacy id of the same person)
    name: str
    is_group: bool
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str | None
    archived: bool
    assigned_manager_id: UUID | None


class StateData(Wire):
    state: SessionState
    previous: SessionState | None
    reason: str | None
    detail: str | None = None  # human-readable, e.g. the path that is not writable and the fix


class QrData(Wire):
    qr_code: str  # data:image/png;base64,...
    qr_raw: str
    expires_at: datetime | None


class PairingCodeData(Wire):
    """A code to type on the phone ("Link with phone number instead"), instead of a QR scan."""

    code: str  # 8 characters, as WhatsApp shows them (no dash)
    phone: str  # the digits the code was asked for
    expires_at: datetime | None


class PasskeyRequiredData(Wire):
    """WhatsApp asks for the account's passkey: an admin's browser must answer this request
    (``POST .../passkey``) before ``expires_at``."""

    request_id: UUID
    options: RequestOptions  # what to pass to navigator.credentials.get({publicKey}), as JSON
    origin: str  # the page's origin: the assertion must be made there
    expires_at: datetime


class PasskeyConfirmationData(Wire):
    """WhatsApp accepted the passkey and shows a code: the phone must confirm the same one."""

    request_id: UUID
    code: str
    expires_at: datetime | None


class ReadyData(Wire):
    phone_number: str | None
    display_name: str | None


class MessageData(Wire):
    chat_id: UUID
    message: MessagePayload


class MessageAckData(Wire):
    chat_id: UUID
    message_id: UUID
    status: MessageStatus


class MessageMediaData(Wire):
    """A message's media changed: downloaded (ready), given up for now (unavailable), expired."""

    chat_id: UUID
    message_id: UUID
    media: MediaPayload


class DisconnectedData(Wire):
    reason: str


class ChatData(Wire):
    chat: ChatPayload


def _now() -> datetime:
    return datetime.now(UTC)


class _Envelope(Wire):
    v: Literal[1] = 1
    event_id: int | None = None  # the company's event-log id, once logged
    session_id: UUID
    company_id: UUID
    ts: datetime = Field(default_factory=_now)


class StateEvent(_Envelope):
    type: Literal["state"] = "state"
    data: StateData


class QrEvent(_Envelope):
    type: Literal["qr"] = "qr"
    data: QrData


class PairingCodeEvent(_Envelope):
    type: Literal["pairing_code"] = "pairing_code"
    data: PairingCodeData


class PasskeyRequiredEvent(_Envelope):
    type: Literal["passkey_required"] = "passkey_required"
    data: PasskeyRequiredData


class PasskeyConfirmationEvent(_Envelope):
    type: Literal["passkey_confirmation"] = "passkey_confirmation"
    data: PasskeyConfirmationData


class ReadyEvent(_Envelope):
    type: Literal["ready"] = "ready"
    data: ReadyData


class MessageEvent(_Envelope):
    type: Literal["message"] = "message"
    data: MessageData


class MessageSentEvent(_Envelope):
    type: Literal["message_sent"] = "message_sent"
    data: MessageData


class MessageAckEvent(_Envelope):
    type: Literal["message_ack"] = "message_ack"
    data: MessageAckData


class MessageMediaEvent(_Envelope):
    type: Literal["message_media"] = "message_media"
    data: MessageMediaData


class DisconnectedEvent(_Envelope):
    type: Literal["disconnected"] = "disconnected"
    data: DisconnectedData


class ChatEvent(_Envelope):
    type: Literal["chat"] = "chat"
    data: ChatData


Event = Annotated[
    StateEvent
    | QrEvent
    | PairingCodeEvent
    | PasskeyRequiredEvent
    | PasskeyConfirmationEvent
    | ReadyEvent
    | MessageEvent
    | MessageSentEvent
    | MessageAckEvent
    | MessageMediaEvent
    | DisconnectedEvent
    | ChatEvent,
    Field(discriminator="type"),
]
_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


# every type of the union above, in its order (webhook filters name them)
EVENT_TYPES: tuple[str, ...] = tuple(
    str(model.model_fields["type"].default) for model in get_args(get_args(Event)[0])
)


def encode(event: Event) -> str:
    return event.model_dump_json(by_alias=True)


def decode(raw: str | bytes) -> Event:
    """Parse and validate one wire event; raises ``pydantic.ValidationError`` on anything else."""
    return _EVENT_ADAPTER.validate_json(raw)


def decode_hint(raw: str | bytes) -> tuple[UUID, int]:
    """(company id, event id) of a published event, without validating the rest: readers use
    the message only to know that the log has something new (ValueError when it says nothing)."""
    try:
        doc = orjson.loads(raw)
        company, event_id = doc["companyId"], doc["eventId"]
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"not a published event: {exc}") from None
    if not isinstance(event_id, int) or isinstance(event_id, bool) or event_id < 1:
        raise ValueError("not a published event: eventId is not a positive integer")
    return UUID(str(company)), event_id


def log_payload(event: Event) -> dict[str, object]:
    """The event as the log keeps it: the wire form without its id (the row's id is the id)."""
    return event.model_dump(mode="json", by_alias=True, exclude={"event_id"})


def from_log(payload: dict[str, object], event_id: int) -> Event:
    """An event read back from the log, with its id."""
    return _EVENT_ADAPTER.validate_python({**payload, "eventId": event_id})


def with_id(event: Event, event_id: int) -> Event:
    return event.model_copy(update={"event_id": event_id})
