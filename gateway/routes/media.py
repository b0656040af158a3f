"""A message's media: streaming it to readers of the chat (or to a signed link), signed links,
and asking the worker to download it again."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from aiohttp import web

from gateway import medialinks
from gateway.auth.principal import Principal, Role, Scope
from gateway.commands import retry_media
from gateway.errors import Conflict, NotFound
from gateway.fields import Token
from gateway.jsonio import ok
from gateway.keys import ARQ, MEDIA, NAMES, PG, PRINCIPAL, SETTINGS
from gateway.mediastream import stream_media
from gateway.permissions import Need, visible_session
from gateway.routing import Router
from gateway.validation import Query, parse_query, path_uuid
from shared import jobs
from shared.db.repos import media
from shared.db.types import MessageMedia
from shared.events import MediaPayload, Wire
from shared.payloads import media_payload

router = Router("media")
READERS = {Role.ADMIN, Role.MANAGER}
MEDIA_PATH = "/api/whatsapp/sessions/{id}/messages/{messageId}/media"


class MediaQuery(Query):
    exp: Token | None = None  # a signed link's expiry (unix seconds) ...
    sig: Token | None = None  # ... and its signature, instead of a token


class LinkOut(Wire):
    url: str
    expires_at: datetime


async def readable_media(
    request: web.Request, principal: Principal, session_id: UUID, message_id: UUID
) -> MessageMedia:
    """The media of a message the caller may read (the chat's visibility: another company's,
    or a session the manager may not read, is 404)."""
    async with request.app[PG].connection() as conn:
        await visible_session(conn, principal, session_id, Need.READ)
        row = await media.get(conn, company_id=principal.tenant, message_id=message_id)
    if row is None or row.session_id != session_id:
        raise NotFound("media not found")
    return row


@router.route(
    "GET",
    MEDIA_PATH,
    roles=READERS,
    scope=Scope.READ,
    signed=True,
    summary="Download a message's media (canRead, or a signed link)",
    query=MediaQuery,
    media="application/octet-stream",
    errors=(409, 410, 416),
    description=(
        "Streams the file: Content-Type is its type, Content-Disposition names it (inline for"
        " pictures, audio and video, attachment for documents), ETag is its sha256 (304 on"
        " If-None-Match). Range: bytes=a-b answers 206 with Content-Range, an unsatisfiable"
        " range 416. 409 media_unavailable while it is not downloaded (pending) or downloads"
        " failed (POST .../media/retry), 410 once retention removed it. Instead of a token,"
        " ?exp=&sig= from POST .../media/link (401 when invalid or expired)."
    ),
)
async def get_media(request: web.Request) -> web.StreamResponse:
    session_id, message_id = path_uuid(request, "id"), path_uuid(request, "messageId")
    query = parse_query(request, MediaQuery)
    if PRINCIPAL in request:
        row = await readable_media(request, request[PRINCIPAL], session_id, message_id)
    else:  # the router let a signed link through: the signature is the permission
        medialinks.check(
            request.app[SETTINGS], session_id, message_id, exp=query.exp or "", sig=query.sig or ""
        )
        async with request.app[PG].connection() as conn:
            found = await media.for_link(conn, session_id=session_id, message_id=message_id)
        if found is None:
            raise NotFound("media not found")
        row = found
    return await stream_media(request, request.app[MEDIA], row)


@router.route(
    "POST",
    MEDIA_PATH + "/link",
    roles=READERS,
    scope=Scope.READ,
    summary="A short-lived signed link to a message's media (canRead)",
    response=LinkOut,
    description=(
        "url works without a token until expiresAt (APP_MEDIA_LINK_TTL_S, 5 minutes by"
        " default): for <img>, <audio>, <video> and integrations. 404 when the message has no"
        " media."
    ),
)
async def media_link(request: web.Request) -> web.Response:
    session_id, message_id = path_uuid(request, "id"), path_uuid(request, "messageId")
    await readable_media(request, request[PRINCIPAL], session_id, message_id)
    url, expires_at = medialinks.signed_url(request.app[SETTINGS], session_id, message_id)
    return ok(LinkOut(url=url, expires_at=expires_at).to_wire())


@router.route(
    "POST",
    MEDIA_PATH + "/retry",
    roles=READERS,
    scope=Scope.READ,
    summary="Download a message's media again (canRead)",
    response=MediaPayload,
    status=202,
    description=(
        "Queues a new download by the session's worker (pending, failed or expired media);"
        " the message_media event says when it is ready. 409 when it is stored already."
    ),
)
async def retry(request: web.Request) -> web.Response:
    session_id, message_id = path_uuid(request, "id"), path_uuid(request, "messageId")
    row = await readable_media(request, request[PRINCIPAL], session_id, message_id)
    if row.status == "stored":
        raise Conflict("media: already stored", details={"status": row.status})
    args = jobs.RetryMedia(session_id=session_id, message_id=message_id)
    await retry_media(request.app[ARQ], request.app[NAMES], args)
    return ok(media_payload(row).to_wire(), status=202)
