"""Sending media: a file (multipart upload, or a URL the gateway downloads) to a chat or to a
phone number. The bytes are stored first (deduplicated per company), then a pending message
with its media row, and ``send_media`` is queued; answers like sending a text."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from aiohttp import web
from pydantic import Field, ValidationError

from gateway.auth.principal import Principal, Role, Scope
from gateway.commands import send_media
from gateway.errors import Conflict, UnsupportedMediaType
from gateway.fields import Caption, ClientMessageId, FileName, PhoneNumber, Url
from gateway.jsonio import ok
from gateway.keys import ARQ, MEDIA, NAMES, PG, PRINCIPAL, SETTINGS
from gateway.mediastream import store_down
from gateway.mediaupload import Upload, bad, fetch, is_multipart, read_form
from gateway.routes.messages import (
    SendOut,
    SendQuery,
    chat_to_write,
    number_chat,
    session_to_write,
    wait_final,
)
from gateway.routing import Router
from gateway.validation import Body, parse_body, parse_query, validation_error
from shared import jobs
from shared.db.repos import media, messages
from shared.db.types import Chat, MessageMedia
from shared.media.kinds import MediaKind, accepts, kind_for, valid_mime
from shared.media.probe import picture
from shared.media.store import sha256_of
from shared.payloads import message_payload

router = Router("media")
SENDERS = {Role.ADMIN, Role.MANAGER}


class SendMediaForm(Body):
    """The text fields of a multipart send (the file is the ``file`` part)."""

    caption: Caption = ""
    client_message_id: ClientMessageId | None = Field(None, alias="clientMessageId")
    kind: MediaKind | None = None  # default: from the file's type
    file_name: FileName | None = Field(None, alias="fileName")


class SendMediaBody(SendMediaForm):
    """The JSON form: the gateway downloads ``url``."""

    url: Url


class SendMediaToNumberForm(SendMediaForm):
    to: PhoneNumber


class SendMediaToNumberBody(SendMediaBody):
    to: PhoneNumber


PICTURES = ("image", "sticker")


async def _read(
    request: web.Request, form: type[SendMediaForm], body: type[SendMediaBody]
) -> tuple[SendMediaForm, Upload]:
    """The fields and the file, from a multipart form or from JSON with a url."""
    settings = request.app[SETTINGS]
    if not is_multipart(request) and request.content_type != "application/json":
        raise UnsupportedMediaType(
            "body: send multipart/form-data (with a file) or application/json (with a url)",
            details=[{"field": "Content-Type", "message": "multipart/form-data or JSON"}],
        )
    if not is_multipart(request):
        parsed = await parse_body(request, body)
        return parsed, await fetch(parsed.url, settings)
    fields, upload = await read_form(request, settings.media_max_bytes)
    try:
        parsed_form = form.model_validate(fields)
    except ValidationError as exc:
        raise validation_error(exc, where="body") from None
    if upload is None:
        raise bad("file", "field required (a file part, or JSON with a url)")
    return parsed_form, upload


@dataclass(frozen=True, slots=True)
class Prepared:
    """A file checked against its kind: what its media row will say."""

    kind: MediaKind
    mime: str
    size: int
    sha256: str
    file_name: str | None
    width: int | None
    height: int | None
    thumbnail: bytes | None


async def _prepare(request: web.Request, fields: SendMediaForm, upload: Upload) -> Prepared:
    """Check the file against its kind (400 naming the field) and describe it."""
    kind: MediaKind = fields.kind or kind_for(upload.mime)
    source = "file" if is_multipart(request) else "url"
    if not upload.data:
        raise bad(source, "is empty")
    if not valid_mime(upload.mime):
        raise bad(source, "its Content-Type is not a media type")
    if not accepts(kind, upload.mime):
        field = "kind" if fields.kind else source
        raise bad(field, f"a {kind} cannot be of type {upload.mime}")
    pic = None
    if kind in PICTURES:
        pic = await asyncio.to_thread(picture, upload.data)
        if pic is None:
            raise bad(source, f"not a readable {upload.mime} picture")
    return Prepared(
        kind=kind,
        mime=upload.mime,
        size=len(upload.data),
        sha256=sha256_of(upload.data),
        file_name=fields.file_name or upload.name,
        width=pic.width if pic else None,
        height=pic.height if pic else None,
        thumbnail=pic.thumbnail if pic else None,
    )


async def _store(request: web.Request, file: Prepared, data: bytes) -> None:
    """The bytes, once per company. Their use is recorded before they are written: retention
    never removes bytes that a message is about to point at."""
    company = request[PRINCIPAL].tenant
    async with request.app[PG].connection() as conn:
        await media.record_blob(
            conn, company_id=company, sha256=file.sha256, size=file.size, mime=file.mime
        )
    try:
        await request.app[MEDIA].put(company, data)
    except OSError as exc:
        raise store_down(exc) from None


def _reused() -> Conflict:
    return Conflict(
        "clientMessageId: already used for a different message",
        details=[{"field": "clientMessageId", "message": "already used"}],
    )


async def _is_replay(
    request: web.Request, chat: Chat, client_id: str | None, caption: str, file: Prepared
) -> bool:
    """A repeat of an earlier send (nothing to store); 409 when the id was used for another."""
    if client_id is None:
        return False
    async with request.app[PG].connection() as conn:
        earlier = await messages.get_by_client_id(
            conn, session_id=chat.session_id, client_msg_id=client_id
        )
        if earlier is None:
            return False
        row = await media.get(conn, company_id=request[PRINCIPAL].tenant, message_id=earlier.id)
    if (
        (earlier.chat_id, earlier.body) != (chat.id, caption)
        or row is None
        or (
            row.sha256,
            row.kind,
        )
        != (file.sha256, file.kind)
    ):
        raise _reused()
    return True


async def _send(
    request: web.Request,
    chat: Chat,
    fields: SendMediaForm,
    upload: Upload,
    *,
    to_phone: str | None = None,
) -> web.Response:
    wait_s = parse_query(request, SendQuery).wait
    principal: Principal = request[PRINCIPAL]
    file = await _prepare(request, fields, upload)
    if not await _is_replay(request, chat, fields.client_message_id, fields.caption, file):
        await _store(request, file, upload.data)
    client_id = fields.client_message_id or uuid.uuid4().hex
    async with request.app[PG].connection() as conn, conn.transaction():
        message, created = await messages.create_outgoing(
            conn,
            session_id=chat.session_id,
            chat_id=chat.id,
            client_msg_id=client_id,
            body=fields.caption,
            sent_by_user_id=principal.person_id,
            msg_type=file.kind,
        )
        row: MessageMedia | None = None
        if created:
            row = await media.capture(
                conn,
                message_id=message.id,
                company_id=principal.tenant,
                session_id=chat.session_id,
                kind=file.kind,
                mime=file.mime,
                size=file.size,
                file_name=file.file_name,
                width=file.width,
                height=file.height,
                thumbnail=file.thumbnail,
                sha256=file.sha256,
            )
        else:
            row = await media.get(conn, company_id=principal.tenant, message_id=message.id)
    same = row is not None and (row.sha256, row.kind) == (file.sha256, file.kind)
    if message.chat_id != chat.id or message.body != fields.caption or not same:
        raise _reused()  # a race with another request of the same id
    if message.status == "pending":
        # also for a repeat, as with texts: the job id keeps it to one send
        args = jobs.SendMedia(
            session_id=chat.session_id,
            message_id=message.id,
            client_msg_id=client_id,
            kind=file.kind,
            mime=file.mime,
            sha256=file.sha256,
            size=file.size,
            file_name=file.file_name,
            caption=fields.caption,
            wa_chat_id=None if to_phone else chat.wa_chat_id,
            to_phone=to_phone,
        )
        await send_media(request.app[ARQ], request.app[NAMES], args)
    if wait_s and message.status == "pending":
        message = await wait_final(request, message, wait_s)
    out = SendOut(
        message_id=message.id,
        chat_id=chat.id,
        status=message.status,
        message=message_payload(message, wa_chat_id=chat.wa_chat_id, media=row),
    )
    headers = {"X-Idempotent-Replay": "false" if created else "true"}
    return ok(out.to_wire(), status=202 if message.status == "pending" else 200, headers=headers)


_RULES = (
    " multipart/form-data with a file part `file` and text fields caption (0-1024 characters),"
    " clientMessageId, kind (image|video|audio|voice|document|sticker; default from the file's"
    " type), fileName; or JSON with `url` instead of the file (downloaded by the gateway:"
    " http(s) on public addresses only, as webhooks; APP_MEDIA_FETCH_TIMEOUT_S). 400 naming the"
    " field for a missing or empty file, a type the kind does not take (images: JPEG, PNG,"
    " WebP; video: MP4, 3GP; voice: OGG/Opus; stickers: WebP; documents: any), a picture that"
    " does not decode, a bad caption or url; 413 over APP_MEDIA_MAX_MB. Otherwise as .../send:"
    " 202 pending (the message carries its media), ?wait=N, idempotent on clientMessageId (409"
    " when reused for another file, caption or chat), X-Idempotent-Replay."
)


@router.route(
    "POST",
    "/api/whatsapp/sessions/{id}/chats/{chatId}/send-media",
    roles=SENDERS,
    scope=Scope.SEND,
    summary="Send a photo, video, audio, voice note, document or sticker to a chat (canWrite)",
    body=SendMediaBody,
    form=SendMediaForm,
    query=SendQuery,
    response=SendOut,
    status=202,
    errors=(413,),
    description="chatId: our chat id or any WhatsApp id of the chat." + _RULES,
)
async def send_media_to_chat(request: web.Request) -> web.Response:
    chat = await chat_to_write(request)
    fields, upload = await _read(request, SendMediaForm, SendMediaBody)
    return await _send(request, chat, fields, upload)


@router.route(
    "POST",
    "/api/whatsapp/sessions/{id}/send-media",
    roles=SENDERS,
    scope=Scope.SEND,
    summary="Send media to a phone number (canWrite)",
    body=SendMediaToNumberBody,
    form=SendMediaToNumberForm,
    query=SendQuery,
    response=SendOut,
    status=202,
    errors=(413,),
    description="to: 7-15 digits (as .../messages); uses (or creates) the chat." + _RULES,
)
async def send_media_to_number(request: web.Request) -> web.Response:
    session_id = await session_to_write(request)
    fields, upload = await _read(request, SendMediaToNumberForm, SendMediaToNumberBody)
    assert isinstance(fields, SendMediaToNumberForm | SendMediaToNumberBody)
    chat = await number_chat(request, session_id, fields.to)
    return await _send(request, chat, fields, upload, to_phone=fields.to)
