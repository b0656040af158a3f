"""Messages: newest-first history with a cursor, and sending (to a chat or to a phone number).

A send stores a pending row and queues ``send_text``; the worker types it. The same
``clientMessageId`` returns the same message and never queues a second send.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway.auth.principal import Principal, Role, Scope
from gateway.chatref import ChatRef, path_chat
from gateway.commands import send_text
from gateway.errors import Conflict, NotFound, ValidationFailed
from gateway.fields import ClientMessageId, MessageText, PageQuery, PhoneNumber, pages
from gateway.jsonio import ok
from gateway.keys import ARQ, NAMES, PG, PRINCIPAL, STOPPING
from gateway.pagecache import serve_page
from gateway.permissions import Need, page_viewer, visible_chat, visible_session
from gateway.responses import Pagination
from gateway.routing import Router
from gateway.validation import Body, Query, parse_body, parse_query, path_uuid
from shared import jobs
from shared.db.repos import chats, media, messages
from shared.db.types import Chat, Message, WaSession
from shared.events import MessagePayload, Wire
from shared.payloads import media_message_ids, message_payload, with_media
from shared.states import MessageStatus

router = Router("messages")
READERS = {Role.ADMIN, Role.MANAGER}
CHAT = "/api/whatsapp/sessions/{id}/chats/{chatId}"
WAIT_POLL_S = 0.1
MAX_WAIT_S = 30


class MessagesQuery(PageQuery):
    before: UUID | None = None


class MessagesPage(Wire):
    messages: list[MessagePayload]
    pagination: Pagination
    next_before: UUID | None  # pass as ?before= for the next older page (None: no more)


class SendBody(Body):
    message: MessageText
    client_message_id: ClientMessageId | None = Field(None, alias="clientMessageId")


class SendToNumberBody(SendBody):
    to: PhoneNumber


class SendQuery(Query):
    wait: int = Field(0, ge=0, le=MAX_WAIT_S)


class SendOut(Wire):
    message_id: UUID
    chat_id: UUID
    status: MessageStatus
    message: MessagePayload


@router.route(
    "GET",
    CHAT + "/messages",
    roles=READERS,
    scope=Scope.READ,
    summary="Messages of a chat, newest first (canRead)",
    query=MessagesQuery,
    response=MessagesPage,
    description="before = a message id of this chat: only older messages (cursor paging).",
)
async def list_messages(request: web.Request) -> web.Response:
    session_id, ref = path_uuid(request, "id"), path_chat(request)
    query = parse_query(request, MessagesQuery)
    viewer = page_viewer(request[PRINCIPAL], session_id)
    return await serve_page(
        request,
        "messages",
        query,
        lambda: read_messages(request, session_id, ref, viewer, query),
        session_id,
        ref,
    )


async def read_messages(
    request: web.Request,
    session_id: UUID,
    ref: ChatRef,
    viewer: UUID | None,
    query: MessagesQuery,
) -> dict[str, Any]:
    principal = request[PRINCIPAL]
    async with request.app[PG].connection() as conn:
        found = await messages.page_for_viewer(
            conn,
            company_id=principal.tenant,
            session_id=session_id,
            viewer=viewer,
            chat=ref,
            limit=query.limit,
            offset=query.offset,
            before=query.before,
        )
        if found is None:
            raise NotFound("session not found")
        if found.chat_id is None:
            raise NotFound("chat not found")
        if not found.cursor_found:
            raise ValidationFailed(
                "before: no such message in this chat",
                details=[{"field": "before", "message": "no such message in this chat"}],
            )
        total = found.total
        if total < 0:  # no row on this page to carry the total (past the end)
            total = await messages.count_for_chat_before(
                conn,
                company_id=principal.tenant,
                session_id=session_id,
                chat_id=found.chat_id,
                before=query.before,
            )
        rows = found.messages
        ids = media_message_ids(rows)  # a page of text only needs no second query
        found_media = (
            await media.for_messages(conn, company_id=principal.tenant, message_ids=ids)
            if ids
            else {}
        )
        with_media(rows, found_media)
    more = query.offset + len(rows) < total
    # the rows are MessagesPage's messages already (shared/payloads.py): no model per row
    pagination = Pagination(
        page=query.page, limit=query.limit, total=total, pages=pages(total, query.limit)
    )
    return {
        "messages": rows,
        "pagination": pagination.to_wire(),
        "nextBefore": rows[-1]["id"] if rows and more else None,
    }


async def wait_final(request: web.Request, message: Message, wait_s: int) -> Message:
    """Poll until the worker records sent, unconfirmed or failed (or later), or the wait is
    over; a gateway that is shutting down answers at once (202, still pending)."""
    deadline = time.monotonic() + wait_s
    principal = request[PRINCIPAL]
    stopping = request.app[STOPPING]
    while message.status == "pending" and time.monotonic() < deadline and not stopping.is_set():
        await asyncio.sleep(WAIT_POLL_S)
        async with request.app[PG].connection() as conn:
            fresh = await messages.get(
                conn,
                company_id=principal.tenant,
                session_id=message.session_id,
                message_id=message.id,
            )
        if fresh is None:
            break
        message = fresh
    return message


def require_running(session: WaSession) -> None:
    # nobody would ever send it: the message would stay pending for good
    if session.desired_state != "running":
        raise Conflict("the session is stopped; start it before sending")


async def chat_to_write(request: web.Request) -> Chat:
    """The path's chat, which the caller may write to, in a session that runs (the send
    routes' 404 / 409)."""
    session_id, ref = path_uuid(request, "id"), path_chat(request)
    async with request.app[PG].connection() as conn:
        session, _, chat = await visible_chat(conn, request[PRINCIPAL], session_id, ref, Need.WRITE)
    require_running(session)
    return chat


async def session_to_write(request: web.Request) -> UUID:
    """The path's session, which the caller may send from, and which runs."""
    session_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn:
        session, _ = await visible_session(conn, request[PRINCIPAL], session_id, Need.WRITE)
    require_running(session)
    return session_id


async def number_chat(request: web.Request, session_id: UUID, to: str) -> Chat:
    """The direct chat with the number ``to`` (digits), made when there is none."""
    async with request.app[PG].connection() as conn:
        chat = await chats.get_or_create_direct(
            conn,
            company_id=request[PRINCIPAL].tenant,
            session_id=session_id,
            phone_jid=f"{to}@c.us",
            name=f"+{to}",
        )
    if chat is None:  # deleted meanwhile
        raise NotFound("session not found")
    return chat


async def _send(
    request: web.Request,
    principal: Principal,
    chat: Chat,
    body: SendBody,
    *,
    to_phone: str | None = None,
) -> web.Response:
    wait_s = parse_query(request, SendQuery).wait
    client_id = body.client_message_id or uuid.uuid4().hex
    async with request.app[PG].connection() as conn:
        message, created = await messages.create_outgoing(
            conn,
            session_id=chat.session_id,
            chat_id=chat.id,
            client_msg_id=client_id,
            body=body.message,
            sent_by_user_id=principal.person_id,
        )
    if message.chat_id != chat.id or message.body != body.message:
        raise Conflict(
            "clientMessageId: already used for a different message",
            details=[{"field": "clientMessageId", "message": "already used"}],
        )
    if message.status == "pending":
        # also for a repeat: arq drops it while the first send:{id} is queued or running, and
        # it re-queues a send whose first enqueue was lost; the worker never sends twice
        args = jobs.SendText(
            session_id=chat.session_id,
            message_id=message.id,
            client_msg_id=client_id,
            body=message.body,
            wa_chat_id=None if to_phone else chat.wa_chat_id,
            to_phone=to_phone,
        )
        await send_text(request.app[ARQ], request.app[NAMES], args)
    if wait_s and message.status == "pending":
        message = await wait_final(request, message, wait_s)
    out = SendOut(
        message_id=message.id,
        chat_id=chat.id,
        status=message.status,
        message=message_payload(message, wa_chat_id=chat.wa_chat_id),
    )
    status = 202 if message.status == "pending" else 200
    headers = {"X-Idempotent-Replay": "false" if created else "true"}
    return ok(out.to_wire(), status=status, headers=headers)


@router.route(
    "POST",
    CHAT + "/send",
    roles=READERS,
    scope=Scope.SEND,
    summary="Send a text message to a chat (canWrite)",
    body=SendBody,
    query=SendQuery,
    response=SendOut,
    status=202,
    description=(
        "chatId: our chat id or any WhatsApp id of the chat. 202 with status pending; ?wait=N"
        " (0-30) waits up to N s and answers 200 once sent, unconfirmed (typed on the page, its"
        " row not seen yet: never re-sent automatically, becomes sent when the row appears) or"
        " failed. The same clientMessageId returns the same message (409 if reused for another"
        " text or chat). Text: 1-4096 characters, not only whitespace. 409 while the session"
        " is stopped."
    ),
)
async def send_to_chat(request: web.Request) -> web.Response:
    chat = await chat_to_write(request)
    body = await parse_body(request, SendBody)
    return await _send(request, request[PRINCIPAL], chat, body)


@router.route(
    "POST",
    "/api/whatsapp/sessions/{id}/messages",
    roles=READERS,
    scope=Scope.SEND,
    summary="Send a text message to a phone number (canWrite)",
    body=SendToNumberBody,
    query=SendQuery,
    response=SendOut,
    status=202,
    description=(
        "to: 7-15 digits; a leading +, spaces, dashes, dots and parentheses are ignored. Uses"
        " (or creates) the chat <digits>@c.us. Otherwise as .../send."
    ),
)
async def send_to_number(request: web.Request) -> web.Response:
    session_id = await session_to_write(request)
    body = await parse_body(request, SendToNumberBody)
    chat = await number_chat(request, session_id, body.to)
    return await _send(request, request[PRINCIPAL], chat, body, to_phone=body.to)
