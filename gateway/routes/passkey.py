"""WhatsApp's passkey check, relayed to an admin's browser: what the session's page asks for, the
admin's answer (once, for that session and that request, before its deadline), and a cancel.

Every answer and cancel is audited, refused ones too (with why).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway.auth.principal import Principal, Role
from gateway.commands import passkey_answer, passkey_cancel
from gateway.errors import AppError, Conflict, Gone, NotFound, ValidationFailed
from gateway.jsonio import ok
from gateway.keys import ARQ, NAMES, PG, PRINCIPAL
from gateway.permissions import admin_session
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared import jobs
from shared.db.repos import audit, passkeys
from shared.db.types import PasskeyRequest, WaSession
from shared.events import Wire
from shared.passkeys import Assertion, AssertionRefused, RequestOptions, check_assertion

log = logging.getLogger(__name__)
router = Router("sessions")

PATH = "/api/whatsapp/sessions/{id}/passkey"
ANSWER_AUDIT = "session.passkey_answer"
CANCEL_AUDIT = "session.passkey_cancel"
REFUSED_AUDIT = "session.passkey_refused"
# what each status of a request means to someone who wants to answer or cancel it
_CLOSED = {
    "answered": "it was answered already (an answer is used once)",
    "confirming": "it was answered already; WhatsApp now shows a number to confirm on the phone",
    "done": "it is over: the device is linked",
    "rejected": "it is over: WhatsApp refused the answer (a new request follows)",
    "cancelled": "it was cancelled",
    "failed": "it is over: the page's request ended",
}


class PasskeyState(Wire):
    session_id: UUID
    pending: bool  # a request is open (the fields below describe it)
    request_id: UUID | None = None
    # sign: waiting for an admin's passkey; answered: on its way to WhatsApp; confirm: a
    # number to confirm on the phone
    stage: Literal["sign", "answered", "confirm"] | None = None
    options: RequestOptions | None = None  # for navigator.credentials.get({publicKey})
    origin: str | None = None  # where the assertion must be made
    expires_at: datetime | None = None
    confirmation_code: str | None = None
    confirmation_expires_at: datetime | None = None


class PasskeyAnswerBody(Body):
    request_id: UUID = Field(alias="requestId")
    credential: Assertion  # PublicKeyCredential.toJSON() of the assertion


class PasskeyCancelBody(Body):
    request_id: UUID = Field(alias="requestId")


class PasskeyOutcome(Wire):
    session_id: UUID
    request_id: UUID
    status: Literal["answered", "cancelled"]


_STAGES: dict[str, Literal["sign", "answered", "confirm"]] = {
    "pending": "sign",
    "answered": "answered",
    "confirming": "confirm",
}


def _state(session_id: UUID, row: PasskeyRequest | None) -> PasskeyState:
    if row is None:
        return PasskeyState(session_id=session_id, pending=False)
    return PasskeyState(
        session_id=session_id,
        pending=True,
        request_id=row.id,
        stage=_STAGES[row.status],
        options=RequestOptions.model_validate(row.options),
        origin=row.origin,
        expires_at=row.expires_at,
        confirmation_code=row.confirmation_code,
        confirmation_expires_at=row.confirmation_expires_at,
    )


@router.route(
    "GET",
    PATH,
    roles={Role.ADMIN},
    summary="The passkey check WhatsApp asks for while this session links, if any",
    response=PasskeyState,
    description=(
        "pending false: nothing is asked. stage sign: WhatsApp's page waits for the account's"
        " passkey; make the assertion in a browser on `origin` (https://web.whatsapp.com) with"
        " `options` (WebAuthn's JSON form of navigator.credentials.get's publicKey) before"
        " expiresAt and POST it here. stage answered: on its way to WhatsApp. stage confirm:"
        " WhatsApp accepted it; the phone must confirm confirmationCode. The same request is"
        " sent as whatsapp:passkey_required / whatsapp:passkey_confirmation to the admins."
    ),
)
async def get_passkey(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        await admin_session(conn, principal, session_id)
        row = await passkeys.current(conn, company_id=principal.tenant, session_id=session_id)
    return ok(_state(session_id, row).to_wire(), headers={"Cache-Control": "no-store"})


async def _path_session(request: web.Request) -> WaSession:
    """The path's session, which the caller administers (404 otherwise)."""
    async with request.app[PG].connection() as conn:
        return await admin_session(conn, request[PRINCIPAL], path_uuid(request, "id"))


async def _request_of(
    request: web.Request, session: WaSession, request_id: UUID, action: str
) -> PasskeyRequest:
    """The session's request ``request_id`` while it can be ``action``-ed; refusals audited."""
    principal = request[PRINCIPAL]
    async with request.app[PG].connection() as conn:
        row = await passkeys.get(
            conn, company_id=principal.tenant, session_id=session.id, request_id=request_id
        )
    refusal: AppError | None = None
    if row is None:
        refusal = NotFound(f"this session has no passkey request {request_id}")
    elif row.status == "expired" or (row.status == "pending" and _late(row)):
        refusal = Gone(f"passkey request {request_id} timed out at {row.expires_at.isoformat()}")
    elif row.status in _CLOSED and not (action == "cancel" and row.open):
        refusal = Conflict(f"passkey request {request_id}: {_CLOSED[row.status]}")
    if refusal is not None:
        await _audit_refused(
            request, principal, session, request_id, action=action, why=refusal.message
        )
        raise refusal
    assert row is not None
    return row


def _late(row: PasskeyRequest) -> bool:
    return row.expires_at <= datetime.now(UTC)


async def _audit_refused(
    request: web.Request,
    principal: Principal,
    session: WaSession,
    request_id: UUID,
    *,
    action: str,
    why: str,
) -> None:
    log.warning("session=%s passkey %s refused: %s", session.id, action, why[:200])
    async with request.app[PG].connection() as conn:
        await audit.record(
            conn,
            company_id=principal.tenant,
            user_id=principal.user_id,
            action=REFUSED_AUDIT,
            target=str(session.id),
            details={"requestId": str(request_id), "action": action, "why": why[:300]},
        )


@router.route(
    "POST",
    PATH,
    roles={Role.ADMIN},
    summary="Answer WhatsApp's passkey check with an assertion made in the admin's browser",
    body=PasskeyAnswerBody,
    response=PasskeyOutcome,
    status=202,
    errors=(409, 410),
    description=(
        "credential: PublicKeyCredential.toJSON() of navigator.credentials.get's result, made"
        " on https://web.whatsapp.com with the options of GET .../passkey. Checked before it"
        " goes on: it answers this request's challenge, on its origin, for whatsapp.com, with"
        " the user verified (400 naming the field otherwise; the request stays open). Used"
        " once: 409 when the request was answered or cancelled already, 404 when the request"
        " is not this session's, 410 after its deadline. 202: the session's worker hands it to"
        " WhatsApp, whose verdict follows as a state event (passkey_confirmation, or"
        " authenticated, or passkey_required again with reason passkey_rejected)."
    ),
)
async def answer(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session = await _path_session(request)
    body = await parse_body(request, PasskeyAnswerBody)
    row = await _request_of(request, session, body.request_id, "answer")
    try:
        check_assertion(body.credential, RequestOptions.model_validate(row.options), row.origin)
    except AssertionRefused as exc:
        await _audit_refused(request, principal, session, row.id, action="answer", why=str(exc))
        raise ValidationFailed(
            str(exc), details=[{"field": exc.field, "message": exc.message}]
        ) from None
    async with request.app[PG].connection() as conn, conn.transaction():
        claimed = await passkeys.claim_answer(
            conn,
            company_id=principal.tenant,
            session_id=session.id,
            request_id=row.id,
            user_id=principal.user_id,
        )
        if claimed is not None:
            await audit.record(
                conn,
                company_id=principal.tenant,
                user_id=principal.user_id,
                action=ANSWER_AUDIT,
                target=str(session.id),
                details={"requestId": str(row.id), "credentialId": body.credential.id[:100]},
            )
    if claimed is None:  # someone else answered (or it timed out) meanwhile
        await _request_of(request, session, row.id, "answer")
        raise Conflict(f"passkey request {row.id} was answered already")
    args = jobs.PasskeyAnswer(session_id=session.id, request_id=row.id, credential=body.credential)
    left_s = max(1.0, (claimed.expires_at - datetime.now(UTC)).total_seconds())
    await passkey_answer(request.app[ARQ], request.app[NAMES], args, expires_s=left_s)
    out = PasskeyOutcome(session_id=session.id, request_id=row.id, status="answered")
    return ok(out.to_wire(), status=202)


@router.route(
    "POST",
    f"{PATH}/cancel",
    roles={Role.ADMIN},
    summary="Cancel WhatsApp's passkey check: the page's request ends, the session stops",
    body=PasskeyCancelBody,
    response=PasskeyOutcome,
    errors=(409, 410),
    description=(
        "The session's worker rejects the page's passkey request and stops the session (state"
        " stopped, reason passkey_cancelled); Connect starts over. 404 when the request is not"
        " this session's, 409 when it is over, 410 after its deadline."
    ),
)
async def cancel(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session = await _path_session(request)
    body = await parse_body(request, PasskeyCancelBody)
    row = await _request_of(request, session, body.request_id, "cancel")
    async with request.app[PG].connection() as conn, conn.transaction():
        cancelled = await passkeys.cancel(
            conn, company_id=principal.tenant, session_id=session.id, request_id=row.id
        )
        if cancelled is not None:
            await audit.record(
                conn,
                company_id=principal.tenant,
                user_id=principal.user_id,
                action=CANCEL_AUDIT,
                target=str(session.id),
                details={"requestId": str(row.id)},
            )
    if cancelled is None:
        raise Conflict(f"passkey request {row.id} is over already")
    args = jobs.PasskeyCancel(session_id=session.id, request_id=row.id)
    await passkey_cancel(request.app[ARQ], request.app[NAMES], args)
    out = PasskeyOutcome(session_id=session.id, request_id=row.id, status="cancelled")
    return ok(out.to_wire())
