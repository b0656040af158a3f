"""Message search: a session's messages whose text contains the given text, newest first."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import AfterValidator, StringConstraints, field_validator

from gateway.auth.principal import Role
from gateway.fields import LINE, PageQuery, pages
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.permissions import Need, visible_session
from gateway.responses import Pagination
from gateway.routing import Router
from gateway.validation import parse_query, path_uuid
from shared.db.repos import media, search
from shared.events import MessagePayload, Wire
from shared.payloads import message_payload

router = Router("search")
MIN_CHARS = 2  # shorter text has no trigram to look up: it would read every message


class MessageSearchQuery(PageQuery):
    search: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(LINE)
    ]

    @field_validator("search")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        value = value.strip()
        if len(value) < MIN_CHARS:
            raise ValueError(f"must have at least {MIN_CHARS} characters besides spaces")
        return value


class MessageHitOut(Wire):
    message: MessagePayload
    chat_name: str


class MessageHits(Wire):
    hits: list[MessageHitOut]
    pagination: Pagination


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}/messages",
    roles={Role.ADMIN, Role.MANAGER},
    summary="Search a session's messages by text, newest first (canRead)",
    query=MessageSearchQuery,
    response=MessageHits,
    description=(
        f"search: {MIN_CHARS}-100 characters, matched anywhere in the text in any letter case"
        " (trigram-indexed); each hit carries its chat's name."
    ),
)
async def search_messages(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        # another company's session is 404 whatever the query says
        session, _ = await visible_session(conn, principal, session_id, Need.READ)
        query = parse_query(request, MessageSearchQuery)
        hits, total = await search.messages(
            conn,
            company_id=principal.tenant,
            session_id=session.id,
            text=query.search,
            limit=query.limit,
            offset=query.offset,
        )
        found = await media.for_messages(
            conn, company_id=principal.tenant, message_ids=[h.message.id for h in hits]
        )
    out = MessageHits(
        hits=[
            MessageHitOut(
                message=message_payload(
                    h.message, wa_chat_id=h.wa_chat_id, media=found.get(h.message.id)
                ),
                chat_name=h.chat_name,
            )
            for h in hits
        ],
        pagination=Pagination(
            page=query.page, limit=query.limit, total=total, pages=pages(total, query.limit)
        ),
    )
    return ok(out.to_wire())
