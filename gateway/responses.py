"""Response models shared by several route modules (camelCase on the wire, listed in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from gateway.permissions import Rights
from shared.db.types import WaSession
from shared.events import Wire
from shared.states import SessionState


class RightsOut(Wire):
    can_read: bool
    can_write: bool
    can_manage_chats: bool


class DriftOut(Wire):
    """One kind of thing the worker could not interpret on WhatsApp Web's page."""

    count: int
    last_at: datetime | None


class SessionOut(Wire):
    id: UUID
    name: str
    state: SessionState
    state_reason: str | None
    state_detail: str | None
    desired_state: str
    phone: str | None
    display_name: str | None
    worker_id: str | None
    last_ready_at: datetime | None
    created_at: datetime
    has_qr: bool
    page_drift: dict[str, DriftOut]  # kind -> how often and when last; {} when all was read
    rights: RightsOut  # the caller's own rights (admins: all)
    unread_chats: int = 0  # how many of its chats have unread messages


class CommandOut(Wire):
    session_id: UUID
    desired_state: str
    state: SessionState
    queued: str | None  # the job sent to a worker, if any
    message: str


class Pagination(Wire):
    page: int
    limit: int
    total: int
    pages: int


def has_qr(session: WaSession) -> bool:
    return session.state == SessionState.QR and bool(session.qr_payload)


def _drift_entry(value: Any) -> DriftOut:
    try:
        return DriftOut.model_validate(value)
    except ValidationError:  # another shape still says that this kind happened
        return DriftOut(count=value if isinstance(value, int) else 1, last_at=None)


def page_drift_out(raw: dict[str, Any]) -> dict[str, DriftOut]:
    """``wa_sessions.page_drift`` as the worker wrote it (``{kind: {count, lastAt}}``)."""
    if not isinstance(raw, dict):  # jsonb of another shape: nothing readable to show
        return {}
    return {str(kind): _drift_entry(value) for kind, value in raw.items()}


def session_out(session: WaSession, rights: Rights, unread_chats: int = 0) -> SessionOut:
    return SessionOut(
        id=session.id,
        name=session.name,
        state=SessionState(session.state),
        state_reason=session.state_reason,
        state_detail=session.state_detail,
        desired_state=session.desired_state,
        phone=session.phone,
        display_name=session.display_name,
        worker_id=session.worker_id,
        last_ready_at=session.last_ready_at,
        created_at=session.created_at,
        has_qr=has_qr(session),
        page_drift=page_drift_out(session.page_drift),
        rights=RightsOut(
            can_read=rights.can_read,
            can_write=rights.can_write,
            can_manage_chats=rights.can_manage_chats,
        ),
        unread_chats=unread_chats,
    )
