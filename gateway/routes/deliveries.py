"""The delivery log of a webhook (status, attempts, response code, latency), manual redelivery of
one delivery, and replay of the event log from an event id."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.errors import NotFound, ValidationFailed
from gateway.fields import PageQuery, pages
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.responses import Pagination
from gateway.routes.webhooks import ONE, WebhookData, announce, owned, webhook_out
from gateway.routing import Router
from gateway.validation import Body, parse_body, parse_query, path_int, path_uuid
from shared.db.repos import deliveries, event_log, webhooks
from shared.db.types import Attempt, Delivery
from shared.events import Wire

router = Router("webhooks")
ADMIN = {Role.ADMIN}
DELIVERY = ONE + "/deliveries/{deliveryId}"


class DeliveriesQuery(PageQuery):
    status: Literal["pending", "delivered", "dead"] | None = None
    event_id: int | None = Field(None, alias="eventId", ge=1, lt=2**63)
    session_id: UUID | None = Field(None, alias="sessionId")


class ReplayBody(Body):
    after_event_id: int = Field(alias="afterEventId", ge=0, lt=2**63)


class DeliveryOut(Wire):
    id: int
    event_id: int
    event_type: str
    session_id: UUID
    status: str  # pending | delivered | dead
    attempts: int
    next_attempt_at: datetime | None  # while pending
    last_attempt_at: datetime | None
    response_code: int | None
    latency_ms: int | None
    error: str | None
    redelivery: bool  # asked for again by an admin
    created_at: datetime
    finished_at: datetime | None


class AttemptOut(Wire):
    attempt: int
    at: datetime
    response_code: int | None
    latency_ms: int
    error: str | None


class DeliveriesPage(Wire):
    deliveries: list[DeliveryOut]
    pagination: Pagination


class DeliveryData(Wire):
    delivery: DeliveryOut


class DeliveryDetail(Wire):
    delivery: DeliveryOut
    attempts: list[AttemptOut]


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        event_id=row.event_id,
        event_type=row.event_type,
        session_id=row.session_id,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        last_attempt_at=row.last_attempt_at,
        response_code=row.response_code,
        latency_ms=row.latency_ms,
        error=row.error,
        redelivery=row.redelivery,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


def attempt_out(row: Attempt) -> AttemptOut:
    return AttemptOut(
        attempt=row.attempt,
        at=row.at,
        response_code=row.response_code,
        latency_ms=row.latency_ms,
        error=row.error,
    )


@router.route(
    "GET",
    ONE + "/deliveries",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="The webhook's deliveries, newest first (the delivery log)",
    query=DeliveriesQuery,
    response=DeliveriesPage,
    description="status (pending, delivered, dead), eventId and sessionId filter.",
)
async def list_deliveries(request: web.Request) -> web.Response:
    query = parse_query(request, DeliveriesQuery)
    async with request.app[PG].connection() as conn:
        hook = await owned(conn, request)
        rows, total = await deliveries.page(
            conn,
            company_id=hook.company_id,
            webhook_id=hook.id,
            status=query.status,
            event_id=query.event_id,
            session_id=query.session_id,
            limit=query.limit,
            offset=query.offset,
        )
    out = DeliveriesPage(
        deliveries=[delivery_out(r) for r in rows],
        pagination=Pagination(
            page=query.page, limit=query.limit, total=total, pages=pages(total, query.limit)
        ),
    )
    return ok(out.to_wire())


@router.route(
    "GET",
    DELIVERY,
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="One delivery and each of its attempts",
    response=DeliveryDetail,
)
async def get_delivery(request: web.Request) -> web.Response:
    delivery_id = path_int(request, "deliveryId")
    async with request.app[PG].connection() as conn:
        hook = await owned(conn, request)
        row = await deliveries.get(
            conn, company_id=hook.company_id, webhook_id=hook.id, delivery_id=delivery_id
        )
        if row is None:
            raise NotFound("delivery not found")
        tried = await deliveries.attempts(conn, delivery_id=row.id)
    out = DeliveryDetail(delivery=delivery_out(row), attempts=[attempt_out(a) for a in tried])
    return ok(out.to_wire())


@router.route(
    "POST",
    DELIVERY + "/redeliver",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Deliver this event again (a new delivery with the same eventId)",
    response=DeliveryData,
    status=202,
)
async def redeliver(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    delivery_id = path_int(request, "deliveryId")
    async with request.app[PG].connection() as conn, conn.transaction():
        hook = await owned(conn, request, lock=True)
        row = await deliveries.redeliver(
            conn, company_id=hook.company_id, webhook_id=hook.id, delivery_id=delivery_id
        )
        if row is None:
            raise NotFound("delivery not found")
        details = {"deliveryId": delivery_id, "eventId": row.event_id}
        await auditing.record(
            conn, principal, "webhook.redeliver", target=str(hook.id), details=details
        )
    await announce(request)
    return ok(DeliveryData(delivery=delivery_out(row)).to_wire(), status=202)


@router.route(
    "POST",
    ONE + "/replay",
    roles=ADMIN,
    scope=Scope.MANAGE,
    company_wide=True,
    summary="Deliver again every event after afterEventId (same eventIds, in order)",
    body=ReplayBody,
    response=WebhookData,
    description=(
        "afterEventId: an eventId the receiver has (0: from the oldest kept). 400 when the log"
        " no longer keeps the events after it (APP_EVENT_RETENTION_H) or it is ahead of the log."
    ),
)
async def replay(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, ReplayBody)
    async with request.app[PG].connection() as conn, conn.transaction():
        await owned(conn, request)
        where = await event_log.position(conn, company_id=principal.tenant)
        after = body.after_event_id or where.pruned_through  # 0: the oldest kept
        if after < where.pruned_through or after > where.last_id:
            raise ValidationFailed(
                f"afterEventId: the log keeps events {where.pruned_through + 1}"
                f"-{where.last_id}; replay from an id in between",
                details=[{"field": "afterEventId", "message": "outside the log"}],
            )
        row = await webhooks.rewind(
            conn, company_id=principal.tenant, webhook_id=path_uuid(request, "id"), after_id=after
        )
        if row is None:
            raise NotFound("webhook not found")
        await auditing.record(
            conn, principal, "webhook.replay", target=str(row.id), details={"afterEventId": after}
        )
    await announce(request)
    return ok(WebhookData(webhook=webhook_out(row)).to_wire())
