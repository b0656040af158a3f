"""Quick replies: the company's canned answers. Every user of a company reads them (the composer
offers them after "/"); admins create, change and delete them, each change audited."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import psycopg
from aiohttp import web
from pydantic import AfterValidator, StringConstraints

from gateway.auth.principal import Role
from gateway.errors import Conflict, NotFound
from gateway.fields import LINE, MessageText
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared.db.repos import audit, quick_replies
from shared.db.types import QuickReply
from shared.events import Wire

router = Router("quick-replies")
PATH = "/api/quick-replies"

# a word typed after "/": no spaces, no slash
Shortcut = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[^\s/]{1,32}$"),
    AfterValidator(LINE),
]
Lang = Literal["en", "ru"]
LANGS: dict[str, Lang] = {"en": "en", "ru": "ru"}


class QuickReplyOut(Wire):
    id: UUID
    shortcut: str
    body: str
    lang: Lang | None
    created_at: datetime
    updated_at: datetime


class QuickReplyList(Wire):
    quick_replies: list[QuickReplyOut]


class QuickReplyData(Wire):
    quick_reply: QuickReplyOut


class QuickReplyCreate(Body):
    shortcut: Shortcut
    body: MessageText
    lang: Lang | None = None


class QuickReplyPatch(Body):
    shortcut: Shortcut | None = None
    body: MessageText | None = None
    lang: Lang | None = None


class Deleted(Wire):
    deleted: bool
    id: UUID


def _out(row: QuickReply) -> QuickReplyOut:
    return QuickReplyOut(
        id=row.id,
        shortcut=row.shortcut,
        body=row.body,
        lang=LANGS.get(row.lang or ""),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _taken() -> Conflict:
    return Conflict(
        "shortcut: another quick reply already uses it",
        details=[{"field": "shortcut", "message": "already used"}],
    )


@router.route(
    "GET",
    PATH,
    roles={Role.ADMIN, Role.MANAGER},
    summary="The company's quick replies",
    response=QuickReplyList,
)
async def list_quick_replies(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        rows = await quick_replies.list_for_company(conn, company_id=request[PRINCIPAL].tenant)
    return ok(QuickReplyList(quick_replies=[_out(r) for r in rows]).to_wire())


@router.route(
    "POST",
    PATH,
    roles={Role.ADMIN},
    summary="Create a quick reply",
    body=QuickReplyCreate,
    response=QuickReplyData,
    status=201,
    description="shortcut: 1-32 characters without spaces or '/', unique in any letter case (409).",
    errors=(409,),
)
async def create_quick_reply(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, QuickReplyCreate)
    try:
        async with request.app[PG].connection() as conn, conn.transaction():
            row = await quick_replies.create(
                conn,
                company_id=principal.tenant,
                shortcut=body.shortcut,
                body=body.body,
                lang=body.lang,
            )
            await audit.record(
                conn,
                company_id=principal.tenant,
                user_id=principal.user_id,
                action="quick_reply.create",
                target=str(row.id),
                details={"shortcut": row.shortcut},
            )
    except psycopg.errors.UniqueViolation:
        raise _taken() from None
    return ok(QuickReplyData(quick_reply=_out(row)).to_wire(), status=201)


@router.route(
    "PATCH",
    PATH + "/{id}",
    roles={Role.ADMIN},
    summary="Change a quick reply",
    body=QuickReplyPatch,
    response=QuickReplyData,
    description="Only the fields given change; lang null clears the language.",
    errors=(409,),
)
async def patch_quick_reply(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    reply_id = path_uuid(request, "id")
    body = await parse_body(request, QuickReplyPatch)
    clear_lang = "lang" in body.model_fields_set and body.lang is None
    try:
        async with request.app[PG].connection() as conn, conn.transaction():
            row = await quick_replies.update(
                conn,
                company_id=principal.tenant,
                reply_id=reply_id,
                shortcut=body.shortcut,
                body=body.body,
                lang=body.lang,
                clear_lang=clear_lang,
            )
            if row is None:
                raise NotFound("quick reply not found")
            await audit.record(
                conn,
                company_id=principal.tenant,
                user_id=principal.user_id,
                action="quick_reply.update",
                target=str(reply_id),
                details=body.model_dump(mode="json", exclude_unset=True),
            )
    except psycopg.errors.UniqueViolation:
        raise _taken() from None
    return ok(QuickReplyData(quick_reply=_out(row)).to_wire())


@router.route(
    "DELETE",
    PATH + "/{id}",
    roles={Role.ADMIN},
    summary="Delete a quick reply",
    response=Deleted,
)
async def delete_quick_reply(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    reply_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn, conn.transaction():
        if not await quick_replies.delete(conn, company_id=principal.tenant, reply_id=reply_id):
            raise NotFound("quick reply not found")
        await audit.record(
            conn,
            company_id=principal.tenant,
            user_id=principal.user_id,
            action="quick_reply.delete",
            target=str(reply_id),
        )
    return ok(Deleted(deleted=True, id=reply_id).to_wire())
