"""Arguments of every arq job crossing gateway -> worker (DESIGN §5), typed and validated.

A job is enqueued as ``function_name(payload_dict)``; the worker re-validates the dict.
Jobs may run more than once: every handler is idempotent.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.passkeys import Assertion

START_SESSION = "start_session"
SEND_TEXT = "send_text"
LOGOUT = "logout"
RESTART = "restart"
REFRESH_QR = "refresh_qr"
SYNC_CHATS = "sync_chats"
MARK_READ = "mark_read"
STOP = "stop"
PAIRING_CODE = "pairing_code"
PASSKEY_ANSWER = "passkey_answer"
PASSKEY_CANCEL = "passkey_cancel"
SEND_MEDIA = "send_media"
RETRY_MEDIA = "retry_media"

SESSION_COMMANDS = (
    SEND_TEXT,
    SEND_MEDIA,
    RETRY_MEDIA,
    LOGOUT,
    RESTART,
    REFRESH_QR,
    SYNC_CHATS,
    MARK_READ,
    STOP,
    PAIRING_CODE,
    PASSKEY_ANSWER,
    PASSKEY_CANCEL,
)


class JobArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_payload(self) -> dict[str, object]:
        return self.model_dump(mode="json")


class StartSession(JobArgs):
    session_id: UUID


class SendText(JobArgs):
    """Send ``body`` to an existing chat (``wa_chat_id``) or to a phone number (``to_phone``)."""

    session_id: UUID
    message_id: UUID
    client_msg_id: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=4096)
    wa_chat_id: str | None = None
    to_phone: str | None = Field(None, pattern=r"^\d{7,15}$")

    @model_validator(mode="after")
    def _one_target(self) -> SendText:
        if (self.wa_chat_id is None) == (self.to_phone is None):
            raise ValueError("exactly one of wa_chat_id and to_phone is required")
        return self


class SendMedia(JobArgs):
    """Send the stored blob ``sha256`` (already in the media store, in the message's company) as
    ``kind`` with ``caption`` to a chat or a phone number; acks as text."""

    session_id: UUID
    message_id: UUID
    client_msg_id: str = Field(min_length=1, max_length=100)
    kind: Literal["image", "video", "audio", "voice", "document", "sticker"]
    mime: str = Field(min_length=3, max_length=255)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    file_name: str | None = Field(None, max_length=255)
    caption: str = Field("", max_length=1024)
    wa_chat_id: str | None = None
    to_phone: str | None = Field(None, pattern=r"^\d{7,15}$")

    @model_validator(mode="after")
    def _one_target(self) -> SendMedia:
        if (self.wa_chat_id is None) == (self.to_phone is None):
            raise ValueError("exactly one of wa_chat_id and to_phone is required")
        return self


class RetryMedia(JobArgs):
    """Download a message's media again (it is pending or failed)."""

    session_id: UUID
    message_id: UUID


class SessionCommand(JobArgs):
    """``logout``, ``restart``, ``refresh_qr``, ``sync_chats``, ``stop``: no arguments beyond id."""

    session_id: UUID
    reason: str | None = None


class MarkRead(JobArgs):
    session_id: UUID
    wa_chat_id: str


class RequestPairingCode(JobArgs):
    """Ask the page for a pairing code for ``phone`` (digits with country code)."""

    session_id: UUID
    phone: str = Field(pattern=r"^\d{7,15}$")


class PasskeyAnswer(JobArgs):
    """Hand an admin's assertion to the page's pending passkey request ``request_id``."""

    session_id: UUID
    request_id: UUID
    credential: Assertion


class PasskeyCancel(JobArgs):
    """End the page's pending passkey request ``request_id`` (an admin cancelled it)."""

    session_id: UUID
    request_id: UUID


CommandName = Literal["logout", "restart", "refresh_qr", "sync_chats", "stop"]
