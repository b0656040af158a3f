"""WhatsApp sessions: create (within the company limit), list, get, QR, delete."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal
from uuid import UUID

from aiohttp import web

from gateway import auditing, lifecycle
from gateway.auth.principal import Role, Scope
from gateway.errors import Conflict, NotFound
from gateway.fields import Name
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.permissions import ADMIN_RIGHTS, admin_session, readable_sessions, visible_session
from gateway.responses import SessionOut, has_qr, session_out
from gateway.routing import Router
from gateway.validation import Body, Query, parse_body, parse_query, path_uuid
from shared.db.repos import chats, sessions
from shared.events import Wire
from shared.qr import data_url, stored_png
from shared.states import SessionState

log = logging.getLogger(__name__)
router = Router("sessions")

ADMIN = {Role.ADMIN}
READERS = {Role.ADMIN, Role.MANAGER}
SEE = "A session of another company is 404 for everyone; a manager without canRead on it gets 404."


class SessionCreate(Body):
    name: Name | None = None  # absent or null: "Session N", unique within the company


class SessionCreated(Wire):
    session_id: UUID
    status: SessionState
    message: str
    session: SessionOut


class SessionList(Wire):
    sessions: list[SessionOut]


class SessionData(Wire):
    session: SessionOut


class QrQuery(Query):
    format: Literal["json", "png"] = "json"


class QrOut(Wire):
    session_id: UUID
    is_connected: bool
    status: SessionState
    qr_code: str | None  # data:image/png;base64,...
    qr_raw: str | None
    expires_at: datetime | None
    message: str


class Deleted(Wire):
    deleted: bool
    id: UUID
    message: str


@router.route(
    "POST",
    "/api/whatsapp/sessions",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Create a session (and start it)",
    body=SessionCreate,
    response=SessionCreated,
    status=201,
    description=(
        "The body is optional: without one (or without a name) the session is named"
        " 'Session N', unique within the company. 409 when the company already has"
        " max_sessions sessions."
    ),
    body_optional=True,
)
async def create_session(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, SessionCreate, optional=True)
    async with request.app[PG].connection() as conn, conn.transaction():
        row, limit = await sessions.create_within_limit(
            conn, company_id=principal.tenant, name=body.name
        )
        if row is None:
            raise Conflict(
                f"the company already has its maximum of {limit} sessions",
                details={"maxSessions": limit},
            )
        await auditing.record(
            conn,
            principal,
            "session.create",
            target=str(row.id),
            details={"name": row.name},
        )
    await lifecycle.queue_start(request, row)
    out = SessionCreated(
        session_id=row.id,
        status=SessionState(row.state),
        message="session created; a worker will start it and show a QR code",
        session=session_out(row, ADMIN_RIGHTS),
    )
    return ok(out.to_wire(), status=201)


@router.route(
    "GET",
    "/api/whatsapp/sessions",
    roles=READERS,
    scope=Scope.READ,
    summary="List sessions (admins: all; managers: those they may read)",
    response=SessionList,
)
async def list_sessions(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        readable = await readable_sessions(conn, request[PRINCIPAL])
        unread = await chats.unread_by_session(
            conn, company_id=request[PRINCIPAL].tenant, session_ids=[s.id for s, _ in readable]
        )
    visible = [session_out(s, rights, unread.get(s.id, 0)) for s, rights in readable]
    return ok(SessionList(sessions=visible).to_wire())


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}",
    roles=READERS,
    scope=Scope.READ,
    summary="One session (admin, or manager with canRead)",
    response=SessionData,
    description=SEE,
)
async def get_session(request: web.Request) -> web.Response:
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        session, rights = await visible_session(conn, request[PRINCIPAL], session_id)
        unread = await chats.unread_by_session(
            conn, company_id=session.company_id, session_ids=[session.id]
        )
    out = SessionData(session=session_out(session, rights, unread.get(session.id, 0)))
    return ok(out.to_wire())


def _qr_message(state: SessionState, qr: bool) -> str:
    if qr:
        return "QR code available, waiting for scan"
    if state is SessionState.READY:
        return "connected"
    return f"no QR code right now (state: {state})"


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}/qr",
    roles=ADMIN,
    scope=Scope.MANAGE,
    summary="The current QR code (JSON, or the PNG itself with ?format=png)",
    query=QrQuery,
    response=QrOut,
    description="With ?format=png the body is image/png; 404 when there is no QR right now.",
)
async def get_qr(request: web.Request) -> web.StreamResponse:
    session_id = path_uuid(request, "id")
    query = parse_query(request, QrQuery)
    async with request.app[PG].connection() as conn:
        session = await admin_session(conn, request[PRINCIPAL], session_id)
    state = SessionState(session.state)
    qr = has_qr(session) and session.qr_payload is not None
    if query.format == "png":
        if not qr or session.qr_payload is None:
            raise NotFound(f"no QR code right now (state: {state})")
        return web.Response(
            body=await stored_png(session.qr_payload, session.qr_png),
            content_type="image/png",
            headers={"Cache-Control": "no-store"},
        )
    out = QrOut(
        session_id=session.id,
        is_connected=state is SessionState.READY,
        status=state,
        qr_code=data_url(await stored_png(session.qr_payload, session.qr_png))
        if qr and session.qr_payload
        else None,
        qr_raw=session.qr_payload if qr else None,
        expires_at=session.qr_expires_at if qr else None,
        message=_qr_message(state, qr),
    )
    return ok(out.to_wire(), headers={"Cache-Control": "no-store"})


@router.route(
    "DELETE",
    "/api/whatsapp/sessions/{id}",
    roles=ADMIN,
    scope=Scope.MANAGE,
    summary="Delete a session: log out, remove its profile, chats and messages",
    response=Deleted,
    description="The owning worker (if any) logs the device out and removes the profile.",
)
async def delete_session(request: web.Request) -> web.Response:
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        session = await admin_session(conn, request[PRINCIPAL], session_id)
    holder = await lifecycle.delete(request, session)
    message = "deleted; the worker logs the device out" if holder else "deleted"
    return ok(Deleted(deleted=True, id=session.id, message=message).to_wire())
