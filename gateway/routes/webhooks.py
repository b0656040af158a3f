"""Webhooks of the company (admins, and API keys with manage): create, list, change, delete,
rotate the secret. Delivered by ``python -m webhooks``; the delivery log is routes/deliveries."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated
from uuid import UUID

from aiohttp import web
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.errors import NotFound, ValidationFailed
from gateway.fields import LINE, SECRET
from gateway.jsonio import ok
from gateway.keys import NAMES, PG, PRINCIPAL, REDIS, SETTINGS
from gateway.permissions import company_sessions
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared.db.repos import webhooks
from shared.db.types import Conn, Webhook
from shared.events import EVENT_TYPES, Wire
from shared.notices import announce_webhooks_changed
from shared.urlpolicy import MAX_URL, UrlRefused, check

router = Router("webhooks")
ADMIN = {Role.ADMIN}
ONE = "/api/webhooks/{id}"
MAX_SESSIONS = 100


def _known_type(value: str) -> str:
    if value not in EVENT_TYPES:
        raise ValueError(f"not an event type (one of {', '.join(EVENT_TYPES)})")
    return value


EventType = Annotated[
    str,
    AfterValidator(LINE),
    AfterValidator(_known_type),
    WithJsonSchema({"type": "string", "enum": list(EVENT_TYPES)}),
]
Url = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL), AfterValidator(LINE)]
Description = Annotated[str, StringConstraints(max_length=200), AfterValidator(LINE)]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200), AfterValidator(SECRET)]
Events = Annotated[list[EventType], Field(max_length=len(EVENT_TYPES))]
Sessions = Annotated[list[UUID], Field(max_length=MAX_SESSIONS)]


class WebhookCreate(Body):
    url: Url
    events: Events = []  # empty: every type
    session_ids: Sessions | None = Field(None, alias="sessionIds")  # null: every session
    description: Description = ""
    enabled: bool = True
    secret: Secret | None = None  # absent: one is made


class WebhookPatch(Body):
    url: Url | None = None
    events: Events | None = None
    session_ids: Sessions | None = Field(None, alias="sessionIds")  # null: every session
    description: Description | None = None
    enabled: bool | None = None


class WebhookOut(Wire):
    id: UUID
    url: str
    description: str
    events: list[str]
    session_ids: list[UUID] | None
    enabled: bool
    cursor: int  # the last event id turned into deliveries
    secret_hint: str  # the secret's last characters
    created_at: datetime
    updated_at: datetime


class WebhookList(Wire):
    webhooks: list[WebhookOut]


class WebhookData(Wire):
    webhook: WebhookOut


class WebhookSecret(Wire):
    webhook: WebhookOut
    secret: str  # shown in this answer only: it signs every delivery (X-Webhook-Signature)


class Deleted(Wire):
    deleted: bool
    id: UUID


def webhook_out(row: Webhook) -> WebhookOut:
    return WebhookOut(
        id=row.id,
        url=row.url,
        description=row.description,
        events=row.event_types,
        session_ids=row.session_ids,
        enabled=row.enabled,
        cursor=row.cursor,
        secret_hint="..." + row.secret[-4:],
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def _check_url(request: web.Request, url: str) -> None:
    try:
        await check(url, allow_private=request.app[SETTINGS].webhook_allow_private)
    except UrlRefused as exc:
        raise ValidationFailed(
            f"url: {exc}", details=[{"field": "url", "message": str(exc)}]
        ) from None


async def owned(conn: Conn, request: web.Request, *, lock: bool = False) -> Webhook:
    """The webhook of the path, the caller's company's (404 otherwise); ``lock``: kept from
    being deleted until the caller's transaction ends."""
    row = await webhooks.get(
        conn, company_id=request[PRINCIPAL].tenant, webhook_id=path_uuid(request, "id"), lock=lock
    )
    if row is None:
        raise NotFound("webhook not found")
    return row


async def announce(request: web.Request) -> None:
    await announce_webhooks_changed(request.app[REDIS], request.app[NAMES])


@router.route(
    "GET",
    "/api/webhooks",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="The company's webhooks",
    response=WebhookList,
)
async def list_webhooks(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        rows = await webhooks.list_for_company(conn, company_id=request[PRINCIPAL].tenant)
    return ok(WebhookList(webhooks=[webhook_out(r) for r in rows]).to_wire())


@router.route(
    "POST",
    "/api/webhooks",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Create a webhook (its secret is in this answer only)",
    body=WebhookCreate,
    response=WebhookSecret,
    status=201,
    description=(
        "url: http(s), on a public address (loopback and private networks are refused unless"
        " APP_WEBHOOK_ALLOW_PRIVATE). events: types to send (empty: all); sessionIds: sessions"
        " to send (null: all). It receives the events logged from now on."
    ),
)
async def create_webhook(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, WebhookCreate)
    await _check_url(request, body.url)
    secret = body.secret or new_secret()
    async with request.app[PG].connection() as conn, conn.transaction():
        if body.session_ids is not None:
            await company_sessions(conn, principal, body.session_ids, "sessionIds")
        row = await webhooks.create(
            conn,
            company_id=principal.tenant,
            url=body.url,
            description=body.description,
            event_types=sorted(set(body.events)),
            session_ids=sorted(set(body.session_ids)) if body.session_ids is not None else None,
            secret=secret,
            enabled=body.enabled,
        )
        await auditing.record(
            conn, principal, "webhook.create", target=str(row.id), details={"url": row.url}
        )
    await announce(request)
    return ok(WebhookSecret(webhook=webhook_out(row), secret=secret).to_wire(), status=201)


@router.route(
    "GET",
    ONE,
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="One webhook",
    response=WebhookData,
)
async def get_webhook(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        row = await owned(conn, request)
    return ok(WebhookData(webhook=webhook_out(row)).to_wire())


@router.route(
    "PATCH",
    ONE,
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Change a webhook (url, events, sessionIds, description, enabled)",
    body=WebhookPatch,
    response=WebhookData,
    description="sessionIds null: every session. Re-enabled, it starts at the newest event.",
)
async def patch_webhook(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, WebhookPatch)
    if body.url is not None:
        await _check_url(request, body.url)
    every_session = "session_ids" in body.model_fields_set and body.session_ids is None
    async with request.app[PG].connection() as conn, conn.transaction():
        await owned(conn, request)
        if body.session_ids is not None:
            await company_sessions(conn, principal, body.session_ids, "sessionIds")
        row = await webhooks.update(
            conn,
            company_id=principal.tenant,
            webhook_id=path_uuid(request, "id"),
            url=body.url,
            description=body.description,
            event_types=sorted(set(body.events)) if body.events is not None else None,
            session_ids=sorted(set(body.session_ids)) if body.session_ids is not None else None,
            all_sessions=every_session,
            enabled=body.enabled,
        )
        if row is None:
            raise NotFound("webhook not found")
        changes = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
        await auditing.record(
            conn, principal, "webhook.update", target=str(row.id), details=changes
        )
    await announce(request)
    return ok(WebhookData(webhook=webhook_out(row)).to_wire())


@router.route(
    "DELETE",
    ONE,
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Delete a webhook and its deliveries",
    response=Deleted,
)
async def delete_webhook(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    webhook_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn, conn.transaction():
        row = await owned(conn, request)
        await webhooks.delete(conn, company_id=principal.tenant, webhook_id=webhook_id)
        await auditing.record(
            conn, principal, "webhook.delete", target=str(webhook_id), details={"url": row.url}
        )
    await announce(request)
    return ok(Deleted(deleted=True, id=webhook_id).to_wire())


@router.route(
    "POST",
    ONE + "/secret",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Rotate the signing secret (the new one is in this answer only)",
    response=WebhookSecret,
)
async def rotate_secret(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    secret = new_secret()
    async with request.app[PG].connection() as conn, conn.transaction():
        await owned(conn, request)
        row = await webhooks.update(
            conn,
            company_id=principal.tenant,
            webhook_id=path_uuid(request, "id"),
            secret=secret,
        )
        if row is None:
            raise NotFound("webhook not found")
        await auditing.record(conn, principal, "webhook.secret", target=str(row.id))
    await announce(request)
    return ok(WebhookSecret(webhook=webhook_out(row), secret=secret).to_wire())
