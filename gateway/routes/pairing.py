"""Linking with a phone number instead of a QR scan: ask the session's worker for a pairing code
and wait (polling Postgres) until it has stored a new one."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from uuid import UUID

from aiohttp import web

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.commands import request_pairing_code
from gateway.errors import Conflict, GatewayTimeout, NotFound, ServiceUnavailable
from gateway.fields import PhoneNumber
from gateway.jsonio import ok
from gateway.keys import ARQ, NAMES, PG, PRINCIPAL, SETTINGS, STOPPING
from gateway.permissions import admin_session
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared import jobs
from shared.db.repos import sessions
from shared.db.types import WaSession
from shared.events import Wire
from shared.states import SessionState

log = logging.getLogger(__name__)
router = Router("sessions")
PASSKEY_CHECK = frozenset({SessionState.PASSKEY_REQUIRED, SessionState.PASSKEY_CONFIRMATION})

PAIRING_AUDIT = "session.pairing_code"
POLL_S = 0.2
# linked to a phone already: a pairing code would link a second time
LINKED = frozenset(
    {
        SessionState.AUTHENTICATED,
        SessionState.READY,
        SessionState.DISCONNECTED,
        SessionState.CONFLICT,
    }
)


class PairingCodeBody(Body):
    phone: PhoneNumber  # the number of the WhatsApp account to link, with its country code


class PairingCodeOut(Wire):
    session_id: UUID
    code: str  # 8 characters; the phone shows them as two groups of four
    phone: str
    expires_at: datetime | None


def _refuse(session: WaSession) -> None:
    """409 while a pairing code cannot link the session: linked already, in WhatsApp's passkey
    check, or not running."""
    if session.state in LINKED:
        raise Conflict(f"the session is linked already (state: {session.state})")
    if session.state in PASSKEY_CHECK:
        raise Conflict(
            "WhatsApp is checking the passkey of the account that scanned: answer or cancel the"
            " check first (GET .../passkey)"
        )
    if session.desired_state != "running":
        raise Conflict("the session is stopped; start it before asking for a pairing code")


def _code_of(session: WaSession) -> tuple[str | None, datetime | None]:
    return session.pairing_code, session.pairing_code_expires_at


async def _wait_for_new_code(
    request: web.Request, session: WaSession, wait_s: float
) -> WaSession | None:
    """The session once it holds a code other than the one it had; None when none came. A
    gateway that is shutting down stops waiting (503: the client asks another one)."""
    before = _code_of(session)
    deadline = time.monotonic() + wait_s
    principal = request[PRINCIPAL]
    stopping = request.app[STOPPING]
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_S)
        if stopping.is_set():
            raise ServiceUnavailable("this gateway is shutting down; try again")
        async with request.app[PG].connection() as conn:
            fresh = await sessions.get(conn, company_id=principal.tenant, session_id=session.id)
        if fresh is None:
            raise NotFound("session not found (deleted meanwhile)")
        if fresh.pairing_code is not None and _code_of(fresh) != before:
            return fresh
        _refuse(fresh)  # linked by a QR scan meanwhile, or stopped: no code is coming
        if fresh.state == SessionState.BLOCKED and session.state != SessionState.BLOCKED:
            detail = f": {fresh.state_detail}" if fresh.state_detail else ""
            raise Conflict(f"the session went to blocked ({fresh.state_reason}){detail}")
    return None


@router.route(
    "POST",
    "/api/whatsapp/sessions/{id}/pairing-code",
    roles={Role.ADMIN},
    scope=Scope.MANAGE,
    summary="Link with a phone number: get a pairing code to type on that phone",
    body=PairingCodeBody,
    response=PairingCodeOut,
    errors=(504,),
    description=(
        "phone: the account's number with country code (7-15 digits; a leading +, spaces,"
        " dashes, dots and parentheses are ignored). The session's worker asks WhatsApp Web"
        " for a code; the request waits for it (at most APP_PAIRING_CODE_WAIT_S, 20 s) and"
        " answers 504 when none came. On the phone: WhatsApp > Linked devices > Link a device"
        " > Link with phone number instead, then type the code. Every new code is also sent"
        " as whatsapp:pairing_code to the company's admins. 409 when the session is linked"
        " already, in WhatsApp's passkey check, or stopped, or goes blocked while waiting."
    ),
)
async def pairing_code(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        session = await admin_session(conn, principal, session_id)
    body = await parse_body(request, PairingCodeBody)
    _refuse(session)
    async with request.app[PG].connection() as conn:
        await auditing.record(
            conn,
            principal,
            PAIRING_AUDIT,
            target=str(session.id),
            details={"name": session.name, "phone": body.phone},
        )
    wait_s = request.app[SETTINGS].pairing_code_wait_s
    args = jobs.RequestPairingCode(session_id=session.id, phone=body.phone)
    await request_pairing_code(request.app[ARQ], request.app[NAMES], args, expires_s=wait_s)
    fresh = await _wait_for_new_code(request, session, wait_s)
    if fresh is None or fresh.pairing_code is None:
        log.warning("session=%s pairing_code=none wait_s=%.0f", session.id, wait_s)
        raise GatewayTimeout(
            f"no pairing code within {wait_s:.0f} s: the session's worker may still be starting"
            " or busy, or WhatsApp refused the number; try again"
        )
    out = PairingCodeOut(
        session_id=session.id,
        code=fresh.pairing_code,
        phone=body.phone,
        expires_at=fresh.pairing_code_expires_at,
    )
    return ok(out.to_wire(), headers={"Cache-Control": "no-store"})
