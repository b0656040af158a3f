"""Single-session shortcuts of the seeds' frontend, acting on the company's default (oldest)
session. Answers are flat (``{success, status, ...}``) and mirrored under ``data``.

``GET .../status`` is always 200: with no session, for an ungranted manager, and while
Postgres is down (then the signed token alone identifies the caller).
"""

from __future__ import annotations

import asyncio
import logging
from uuid import UUID

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout

from gateway import auditing, lifecycle
from gateway.auth.principal import Principal, Role, Scope
from gateway.errors import Conflict, NotFound
from gateway.jsonio import dumps
from gateway.keys import AUTH_DEGRADED, PG, PRINCIPAL
from gateway.permissions import sees_qr
from gateway.responses import has_qr
from gateway.routing import ANY_USER, Router
from shared.db.repos import access, sessions
from shared.db.types import WaSession
from shared.events import Wire
from shared.qr import data_url, stored_png
from shared.states import SessionState

log = logging.getLogger(__name__)
router = Router("shortcuts")
DEFAULT_NAME = "default"
STATUS_TIMEOUT_S = 3.0

_MESSAGES = {
    SessionState.IDLE: "waiting for a worker to start the session",
    SessionState.INITIALIZING: "starting WhatsApp Web",
    SessionState.QR: "QR code available, waiting for scan",
    SessionState.AUTHENTICATED: "QR scanned, syncing chats",
    SessionState.READY: "connected",
    SessionState.DISCONNECTED: "phone or network unreachable, reconnecting",
    SessionState.CONFLICT: "WhatsApp is open elsewhere, taking over",
    SessionState.BLOCKED: "blocked, needs an admin",
    SessionState.STOPPED: "stopped",
    SessionState.PASSKEY_REQUIRED: "WhatsApp asks for the account's passkey: an admin answers it",
    SessionState.PASSKEY_CONFIRMATION: "passkey accepted: confirm the number on the phone",
}


class AccountInfo(Wire):
    phone: str | None
    display_name: str | None


class StatusOut(Wire):
    success: bool
    status: str  # a session state, or no_session / unknown
    is_ready: bool
    has_qr: bool
    qr_code: str | None  # admins only
    current_state: str
    message: str
    account_info: AccountInfo | None
    session_id: UUID | None


class ShortcutOut(Wire):
    success: bool
    status: str
    message: str
    session_id: UUID
    created: bool


def _flat(out: Wire) -> web.Response:
    data = out.to_wire()
    return web.json_response({**data, "data": data}, dumps=dumps)


async def _status_of(session: WaSession | None, principal: Principal) -> StatusOut:
    if session is None:
        return StatusOut(
            success=True,
            status="no_session",
            is_ready=False,
            has_qr=False,
            qr_code=None,
            current_state="no_session",
            message="no WhatsApp session yet",
            account_info=None,
            session_id=None,
        )
    state = SessionState(session.state)
    qr = has_qr(session)
    linked = session.phone is not None or session.display_name is not None
    return StatusOut(
        success=True,
        status=state,
        is_ready=state is SessionState.READY,
        has_qr=qr,
        qr_code=data_url(await stored_png(session.qr_payload, session.qr_png))
        if qr and session.qr_payload and sees_qr(principal)
        else None,
        current_state=state,
        message=_MESSAGES[state],
        account_info=AccountInfo(phone=session.phone, display_name=session.display_name)
        if linked
        else None,
        session_id=session.id,
    )


def _unknown(message: str) -> StatusOut:
    return StatusOut(
        success=False,
        status="unknown",
        is_ready=False,
        has_qr=False,
        qr_code=None,
        current_state="unknown",
        message=message,
        account_info=None,
        session_id=None,
    )


async def _visible_default(request: web.Request, principal: Principal) -> WaSession | None:
    async with request.app[PG].connection(timeout=STATUS_TIMEOUT_S) as conn:
        session = await sessions.default_for_company(conn, company_id=principal.tenant)
        if session is None or principal.role is Role.ADMIN:
            return session
        grant = await access.get(
            conn, company_id=principal.tenant, session_id=session.id, manager_id=principal.user_id
        )
    return session if grant is not None and grant.can_read else None


async def status(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    if request.get(AUTH_DEGRADED):
        return _flat(_unknown("status unavailable: database unreachable"))
    if principal.role is Role.OPERATOR:
        return _flat(await _status_of(None, principal))
    try:
        async with asyncio.timeout(STATUS_TIMEOUT_S):
            session = await _visible_default(request, principal)
    except (PoolTimeout, psycopg.Error, TimeoutError, OSError) as exc:
        log.warning("status unavailable: %s", exc)
        return _flat(_unknown("status unavailable: database unreachable"))
    return _flat(await _status_of(session, principal))


for _path in ("/api/whatsapp/status", "/whatsapp/status"):
    router.route(
        "GET",
        _path,
        roles=ANY_USER,
        scope=Scope.READ,
        company_wide=True,
        summary="Status of the default session (always 200)",
        response=StatusOut,
        tolerant_auth=True,
        flat=True,
        description=(
            "Always 200, also with no session and while the database is down (status unknown)."
            " qrCode is given to admins only; managers see the session only if granted canRead."
            " The body is flat and mirrored under data."
        ),
    )(status)


@router.route(
    "POST",
    "/api/whatsapp/start",
    roles={Role.ADMIN},
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Start the default session (created as 'default' if the company has none)",
    response=ShortcutOut,
    flat=True,
)
async def start(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    created = False
    async with request.app[PG].connection() as conn, conn.transaction():
        session = await sessions.default_for_company(conn, company_id=principal.tenant)
        if session is None:
            session, limit = await sessions.create_within_limit(
                conn, company_id=principal.tenant, name=DEFAULT_NAME
            )
            if session is None:
                raise Conflict(
                    f"the company may have {limit} sessions", details={"maxSessions": limit}
                )
            created = True
            await auditing.record(
                conn,
                principal,
                "session.create",
                target=str(session.id),
                details={"name": session.name, "via": "shortcut"},
            )
    if created:
        await lifecycle.queue_start(request, session)
        message = "session created; a worker will start it and show a QR code"
    else:
        message = (await lifecycle.start(request, session)).message
    out = ShortcutOut(
        success=True, status=session.state, message=message, session_id=session.id, created=created
    )
    return _flat(out)


@router.route(
    "POST",
    "/api/whatsapp/reset",
    roles={Role.ADMIN},
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Log the default session out and start it fresh (new QR)",
    response=ShortcutOut,
    description="404 when the company has no session yet.",
    flat=True,
)
async def reset(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    async with request.app[PG].connection() as conn:
        session = await sessions.default_for_company(conn, company_id=principal.tenant)
    if session is None:
        raise NotFound("no WhatsApp session yet; POST /api/whatsapp/start first")
    result = await lifecycle.reset(request, session)
    out = ShortcutOut(
        success=True,
        status=session.state,
        message=result.message,
        session_id=session.id,
        created=False,
    )
    return _flat(out)
