"""Streaming a stored media file to its reader: type, file name, ETag (its sha256), byte ranges
(206/416), conditional requests (304), straight from the media store in chunks."""

from __future__ import annotations

import logging
import mimetypes
from urllib.parse import quote

from aiohttp import web

from gateway.errors import Gone, MediaUnavailable, ServiceUnavailable
from gateway.ranges import byte_range
from shared.db.types import MessageMedia
from shared.media.kinds import base_mime, valid_mime
from shared.media.store import MediaMissing, MediaStore

log = logging.getLogger(__name__)

_INLINE_KINDS = frozenset({"image", "video", "audio", "voice", "sticker"})
_INLINE_TYPES = ("image/", "video/", "audio/")


def file_name(media: MessageMedia) -> str:
    if media.file_name:
        return media.file_name
    ext = mimetypes.guess_extension(base_mime(media.mime)) or ""
    return f"{media.kind}-{media.message_id}{ext}"


def disposition(media: MessageMedia) -> str:
    """inline for pictures, sound and video (an <img>, <audio>, <video> shows it), attachment
    for documents and anything a browser might run (SVG, HTML)."""
    mime = base_mime(media.mime)
    inline = (
        media.kind in _INLINE_KINDS and mime.startswith(_INLINE_TYPES) and mime != "image/svg+xml"
    )
    name = file_name(media)
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("\\", "_")
    return (
        f'{"inline" if inline else "attachment"}; filename="{ascii_name}";'
        f" filename*=UTF-8''{quote(name, safe='')}"
    )


def store_down(exc: OSError) -> ServiceUnavailable:
    """The media store failed (a disk error, S3 unreachable): 503, logged once here."""
    log.warning("media store unavailable: %s", exc)
    return ServiceUnavailable("media store unavailable, try again")


def _ready(media: MessageMedia) -> str:
    """The blob's sha256; 409 while not downloaded, 410 once expired."""
    if media.status == "expired":
        raise Gone("media: expired (removed by retention)")
    if media.status != "stored" or media.sha256 is None:
        raise MediaUnavailable(
            f"media: {'not downloaded yet' if media.status == 'pending' else 'unavailable'}",
            details={"status": media.status},
        )
    return media.sha256


async def stream_media(
    request: web.Request, store: MediaStore, media: MessageMedia
) -> web.StreamResponse:
    sha = _ready(media)
    try:
        size = await store.size(media.company_id, sha)
    except MediaMissing:
        log.warning("media missing from the store message=%s sha256=%s", media.message_id, sha)
        raise Gone("media: no longer stored") from None
    except OSError as exc:
        raise store_down(exc) from None
    etag = f'"{sha}"'
    headers = {
        # what WhatsApp said; anything that is no media type is served as bytes
        "Content-Type": media.mime if valid_mime(media.mime) else "application/octet-stream",
        "Content-Disposition": disposition(media),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        # the bytes of a sha256 never change; who may read them can, so browsers revalidate
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    wanted = byte_range(request.headers.get("Range"), size)
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range != etag:
        wanted = None  # changed since the client's partial copy: the whole file
    start, end = wanted if wanted is not None else (0, size - 1)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    response = web.StreamResponse(status=206 if wanted else 200, headers=headers)
    response.content_length = end - start + 1 if size else 0
    await response.prepare(request)
    if size:
        try:
            async for chunk in store.read(media.company_id, sha, start, end):
                await response.write(chunk)
        except (MediaMissing, OSError) as exc:  # the client sees a short body
            log.warning("media stream broken message=%s sha256=%s: %s", media.message_id, sha, exc)
            return response
    await response.write_eof()
    return response
