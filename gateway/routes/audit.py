"""The company's audit log (admins, and API keys with manage): paged, newest first, filtered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from aiohttp import web
from pydantic import AfterValidator, Field, StringConstraints

from gateway.auth.principal import Role, Scope
from gateway.fields import LINE, PageQuery, pages
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.responses import Pagination
from gateway.routing import Router
from gateway.validation import parse_query
from shared.db.repos import audit
from shared.db.types import AuditEntry
from shared.events import Wire

router = Router("audit")

Action = Annotated[  # exact (session.stop) or a family (session.)
    str,
    StringConstraints(max_length=100, pattern=r"^[a-z_]+(\.[a-z_]+)*\.?$"),
    AfterValidator(LINE),
]
Target = Annotated[
    str, StringConstraints(max_length=200, pattern=r"^[\x21-\x7e]+$"), AfterValidator(LINE)
]


class AuditQuery(PageQuery):
    action: Action | None = None
    user_id: UUID | None = Field(None, alias="userId")
    target: Target | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditOut(Wire):
    id: int
    user_id: UUID | None  # None: an API key (details.apiKeyId) or a removed user
    action: str
    target: str | None
    details: dict[str, Any]
    at: datetime


class AuditPage(Wire):
    entries: list[AuditOut]
    pagination: Pagination


def entry_out(row: AuditEntry) -> AuditOut:
    return AuditOut(
        id=row.id,
        user_id=row.user_id,
        action=row.action,
        target=row.target,
        details=row.details,
        at=row.at,
    )


@router.route(
    "GET",
    "/api/audit",
    roles={Role.ADMIN},
    scope=Scope.MANAGE,
    company_wide=True,
    summary="The company's audit log, newest first",
    query=AuditQuery,
    response=AuditPage,
    description=(
        "action: exact (session.stop), or a family ending in a dot (session.); userId, target"
        " (a session, manager, chat, webhook or API key id), since/until (ISO 8601) filter."
    ),
)
async def list_audit(request: web.Request) -> web.Response:
    query = parse_query(request, AuditQuery)
    async with request.app[PG].connection() as conn:
        rows, total = await audit.page(
            conn,
            company_id=request[PRINCIPAL].tenant,
            action=query.action,
            user_id=query.user_id,
            target=query.target,
            since=query.since,
            until=query.until,
            limit=query.limit,
            offset=query.offset,
        )
    out = AuditPage(
        entries=[entry_out(r) for r in rows],
        pagination=Pagination(
            page=query.page, limit=query.limit, total=total, pages=pages(total, query.limit)
        ),
    )
    return ok(out.to_wire())
