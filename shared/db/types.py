"""Typed rows returned by the repositories (one dataclass per table view)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

Conn = AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class Company:
    id: UUID
    name: str
    max_sessions: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    company_id: UUID | None
    email: str
    role: str
    display_name: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class UserCredentials:
    id: UUID
    company_id: UUID | None
    email: str
    role: str
    display_name: str
    disabled: bool
    created_at: datetime
    password_hash: str

    def public(self) -> User:
        return User(
            id=self.id,
            company_id=self.company_id,
            email=self.email,
            role=self.role,
            display_name=self.display_name,
            disabled=self.disabled,
            created_at=self.created_at,
        )


@dataclass(frozen=True, slots=True)
class WaSession:
    id: UUID
    company_id: UUID
    name: str
    desired_state: str
    state: str
    state_reason: str | None
    state_detail: str | None
    qr_payload: str | None
    qr_updated_at: datetime | None
    qr_expires_at: datetime | None
    phone: str | None
    display_name: str | None
    worker_id: str | None
    last_ready_at: datetime | None
    created_at: datetime
    updated_at: datetime
    # {"<kind>": {"count": n, "lastAt": iso}}: what the worker could not interpret on the page
    page_drift: dict[str, Any]
    pairing_code: str | None
    pairing_code_expires_at: datetime | None
    pairing_phone: str | None
    bridge: str | None  # 'module' | 'page': how its worker reaches WhatsApp Web
    lid: str | None  # the linked account's own lid, when known
    fence: int  # the token of the latest lease grant (migration 0010): older writes are refused
    qr_png: bytes | None = None  # the QR's PNG, rendered once by the worker (shared/qr.py)


@dataclass(frozen=True, slots=True)
class WantedSession:
    """A session an admin wants running, as the reconciler sees it."""

    id: UUID
    company_id: UUID
    fence: int
    state: str
    state_reason: str | None


@dataclass(frozen=True, slots=True)
class Access:
    session_id: UUID
    manager_id: UUID
    can_read: bool
    can_write: bool
    can_manage_chats: bool
    granted_by: UUID | None
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class Chat:
    id: UUID
    session_id: UUID
    wa_chat_id: str
    name: str
    is_group: bool
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str | None
    archived: bool
    assigned_manager_id: UUID | None
    phone_jid: str | None  # <digits>@c.us, when known
    lid: str | None  # <digits>@lid, when known


@dataclass(frozen=True, slots=True)
class Message:
    id: UUID
    session_id: UUID
    chat_id: UUID
    wa_msg_id: str | None
    client_msg_id: str | None
    direction: str
    sender: str | None
    body: str
    type: str
    status: str
    error: str | None
    wa_timestamp: datetime | None
    created_at: datetime
    sent_by_user_id: UUID | None


@dataclass(frozen=True, slots=True)
class MessageMedia:
    """The media of one message (wa_message_media): what WhatsApp said of it, where we hold it."""

    message_id: UUID
    company_id: UUID
    session_id: UUID
    kind: str  # image | video | audio | voice | document | sticker
    mime: str
    size: int | None
    file_name: str | None
    duration_s: float | None
    width: int | None
    height: int | None
    thumbnail: bytes | None  # a small JPEG, when WhatsApp has one
    sha256: str | None  # the blob in the media store, once stored
    status: str  # pending | stored | failed | expired
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class MediaBlob:
    company_id: UUID
    sha256: str
    size: int
    mime: str
    created_at: datetime
    last_used_at: datetime


@dataclass(frozen=True, slots=True)
class MessageHit:
    """A message found by a text search, with the name of its chat."""

    message: Message
    chat_name: str
    wa_chat_id: str


@dataclass(frozen=True, slots=True)
class QuickReply:
    id: UUID
    company_id: UUID
    shortcut: str
    body: str
    lang: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    company_id: UUID | None
    user_id: UUID | None
    action: str
    target: str | None
    details: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class OpsSession:
    """A session as operators see it across companies: health only, nothing a customer wrote."""

    id: UUID
    company_id: UUID
    company_name: str
    name: str
    desired_state: str
    state: str
    state_reason: str | None
    worker_id: str | None
    last_ready_at: datetime | None
    updated_at: datetime
    page_drift: dict[str, Any]  # as on WaSession; operators see kinds and counts only
    bridge: str | None  # 'module' | 'page'


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    incoming: int
    outgoing: int


@dataclass(frozen=True, slots=True)
class Stats:
    total_sessions: int
    active_sessions: int
    chats: int
    incoming: int
    outgoing: int
    per_day: list[DayCount]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: never the key itself, only its hash and first characters."""

    id: UUID
    company_id: UUID
    name: str
    prefix: str
    scopes: list[str]
    session_ids: list[UUID] | None
    created_by: UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Webhook:
    id: UUID
    company_id: UUID
    url: str
    description: str
    event_types: list[str]  # empty: every type
    session_ids: list[UUID] | None  # None: every session
    secret: str
    enabled: bool
    cursor: int  # the company's last event id turned into deliveries
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one webhook: pending until delivered, or dead after its retries."""

    id: int
    webhook_id: UUID
    company_id: UUID
    event_id: int
    session_id: UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    response_code: int | None
    latency_ms: int | None
    error: str | None
    redelivery: bool
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    attempt: int
    at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class PasskeyRequest:
    """One passkey request of a session's page (WhatsApp's check while a device links)."""

    id: UUID
    session_id: UUID
    options: dict[str, Any]  # PublicKeyCredentialRequestOptionsJSON
    origin: str
    status: str  # pending | answered | confirming | done | rejected | cancelled | expired | failed
    expires_at: datetime
    confirmation_code: str | None
    confirmation_expires_at: datetime | None
    answered_by: UUID | None
    answered_at: datetime | None
    ended_reason: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def open(self) -> bool:
        return self.status in OPEN_PASSKEY_STATUSES


OPEN_PASSKEY_STATUSES = ("pending", "answered", "confirming")
