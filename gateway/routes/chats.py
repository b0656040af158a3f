"""Chats of a session: paged list (search, filters), one chat, archive/assign (and to whom),
mark read. A change made here is published as ``whatsapp:chat_updated``, like the worker's."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway import auditing
from gateway.auth.principal import Role, Scope
from gateway.chatref import path_chat
from gateway.commands import mark_read
from gateway.errors import NotFound, ValidationFailed
from gateway.fields import PageQuery, SearchText, pages
from gateway.jsonio import ok
from gateway.keys import ARQ, EVENTS, NAMES, PG, PRINCIPAL
from gateway.pagecache import serve_page
from gateway.permissions import Need, page_viewer, visible_chat, visible_session
from gateway.responses import Pagination
from gateway.routing import Router
from gateway.validation import Body, parse_body, parse_query, path_uuid
from shared import jobs
from shared.db.repos import chats, users
from shared.events import ChatData, ChatPayload, Wire
from shared.payloads import chat_event, chat_payload

router = Router("chats")
READERS = {Role.ADMIN, Role.MANAGER}
CHAT = "/api/whatsapp/sessions/{id}/chats/{chatId}"  # chatId: our UUID or a WhatsApp id


class ChatsQuery(PageQuery):
    search: SearchText = ""
    unread: bool = False
    assigned: Literal["me", "none"] | None = None
    order: Literal["activity", "unread"] = "activity"


class ChatsPage(Wire):
    chats: list[ChatPayload]
    pagination: Pagination


class AssigneeOut(Wire):
    id: UUID
    display_name: str
    email: str


class Assignees(Wire):
    assignees: list[AssigneeOut]


class ChatPatch(Body):
    archived: bool | None = None
    assigned_manager_id: UUID | None = Field(None, alias="assignedManagerId")


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}/chats",
    roles=READERS,
    scope=Scope.READ,
    summary="Chats of a session, newest activity first (canRead)",
    query=ChatsQuery,
    response=ChatsPage,
    description=(
        "search: a substring of the name or of a WhatsApp id (any letter case, trigram-indexed;"
        " message text: GET .../messages?search=). unread=true keeps unread chats only;"
        " assigned=me keeps the caller's chats, assigned=none the unassigned ones; order=unread"
        " lists chats with unread messages first."
    ),
)
async def list_chats(request: web.Request) -> web.Response:
    session_id = path_uuid(request, "id")
    query = parse_query(request, ChatsQuery)
    viewer = page_viewer(request[PRINCIPAL], session_id)
    return await serve_page(
        request, "chats", query, lambda: read_chats(request, session_id, viewer, query), session_id
    )


async def read_chats(
    request: web.Request, session_id: UUID, viewer: UUID | None, query: ChatsQuery
) -> dict[str, Any]:
    principal = request[PRINCIPAL]
    async with request.app[PG].connection() as conn:
        found = await chats.page_for_viewer(
            conn,
            company_id=principal.tenant,
            session_id=session_id,
            viewer=viewer,
            limit=query.limit,
            offset=query.offset,
            search=query.search or None,
            unread_only=query.unread,
            unread_first=query.order == "unread",
            assigned_to=principal.user_id if query.assigned == "me" else None,
            unassigned_only=query.assigned == "none",
        )
    if found is None:
        raise NotFound("session not found")
    # the rows are ChatsPage's chats already (shared/payloads.py): no model per row
    pagination = Pagination(
        page=query.page, limit=query.limit, total=found.total, pages=pages(found.total, query.limit)
    )
    return {"chats": found.chats, "pagination": pagination.to_wire()}


@router.route(
    "GET",
    CHAT,
    roles=READERS,
    summary="One chat (canRead)",
    response=ChatData,
    description="chatId: our chat id or any WhatsApp id of the chat.",
)
async def get_chat(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id, ref = path_uuid(request, "id"), path_chat(request)
    async with request.app[PG].connection() as conn:
        _, _, chat = await visible_chat(conn, principal, session_id, ref, Need.READ)
    return ok(ChatData(chat=chat_payload(chat)).to_wire())


@router.route(
    "GET",
    "/api/whatsapp/sessions/{id}/assignees",
    roles=READERS,
    summary="Managers a chat of this session can be assigned to (canRead)",
    response=Assignees,
    description="The company's enabled managers with canRead on the session.",
)
async def list_assignees(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        await visible_session(conn, principal, session_id, Need.READ)
        rows = await users.readers_of_session(
            conn, company_id=principal.tenant, session_id=session_id
        )
    out = Assignees(
        assignees=[AssigneeOut(id=u.id, display_name=u.display_name, email=u.email) for u in rows]
    )
    return ok(out.to_wire())


@router.route(
    "PATCH",
    CHAT,
    roles=READERS,
    scope=Scope.MANAGE,
    summary="Archive/unarchive a chat or (un)assign it to a manager (canManageChats)",
    body=ChatPatch,
    response=ChatData,
    description="assignedManagerId null unassigns; it must name a manager of the company (400).",
)
async def patch_chat(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id, ref = path_uuid(request, "id"), path_chat(request)
    async with request.app[PG].connection() as conn:
        _, _, found = await visible_chat(conn, principal, session_id, ref, Need.MANAGE)
    chat_id = found.id
    body = await parse_body(request, ChatPatch)
    unassign = "assigned_manager_id" in body.model_fields_set and body.assigned_manager_id is None
    async with request.app[EVENTS].unit() as unit:
        conn = unit.conn
        if body.assigned_manager_id is not None and not await users.get_manager(
            conn, company_id=principal.tenant, manager_id=body.assigned_manager_id
        ):
            raise ValidationFailed(
                "assignedManagerId: not a manager of this company",
                details=[{"field": "assignedManagerId", "message": "not a manager"}],
            )
        chat = await chats.update(
            conn,
            company_id=principal.tenant,
            session_id=session_id,
            chat_id=chat_id,
            archived=body.archived,
            assigned_manager_id=body.assigned_manager_id,
            unassign=unassign,
        )
        if chat is None:  # deleted meanwhile
            raise NotFound("chat not found")
        await auditing.record(
            conn,
            principal,
            "chat.update",
            target=str(chat_id),
            details=body.model_dump(mode="json", by_alias=True, exclude_unset=True),
        )
        unit.emit(chat_event(principal.tenant, chat))
    return ok(ChatData(chat=chat_payload(chat)).to_wire())


@router.route(
    "POST",
    CHAT + "/read",
    roles=READERS,
    scope=Scope.MANAGE,
    summary="Mark a chat read, here and on the phone (canManageChats)",
    response=ChatData,
)
async def read_chat(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    session_id, ref = path_uuid(request, "id"), path_chat(request)
    async with request.app[EVENTS].unit() as unit:
        conn = unit.conn
        _, _, found = await visible_chat(conn, principal, session_id, ref, Need.MANAGE)
        chat_id = found.id
        chat = await chats.mark_read(
            conn, company_id=principal.tenant, session_id=session_id, chat_id=chat_id
        )
        if chat is None:  # deleted meanwhile
            raise NotFound("chat not found")
        await auditing.record(conn, principal, "chat.read", target=str(chat_id))
        unit.emit(chat_event(principal.tenant, chat))
    await mark_read(
        request.app[ARQ],
        request.app[NAMES],
        jobs.MarkRead(session_id=session_id, wa_chat_id=chat.wa_chat_id),
    )
    return ok(ChatData(chat=chat_payload(chat)).to_wire())
