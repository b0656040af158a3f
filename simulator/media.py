"""Media files: the fixtures a contact can send, what WhatsApp tells of a file (size, dimensions,
duration, a JPEG thumbnail), and the media servers the page downloads from and uploads to.

The page fetches ``/media/<id>`` into a ``blob:`` URL (as WhatsApp Web decrypts what it downloads
from its media servers into blobs) and uploads what it sends to ``/media/upload``. A download can
be made to fail a number of times (``failures_left``) to test retries.
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from PIL import Image

from simulator.errors import SimError, bad_request, not_found
from simulator.keys import ENGINE
from simulator.models import Media, MediaType
from simulator.store import Store

FIXTURES = Path(__file__).with_name("fixtures")
MAX_UPLOAD = 64 * 1024 * 1024  # WhatsApp's own cap is larger than the gateway's APP_MEDIA_MAX_MB
THUMB_PX = 96  # the long side of a thumbnail, as WhatsApp's are (tens of pixels, a few kB)
MEDIA_TYPES: tuple[MediaType, ...] = ("image", "video", "audio", "ptt", "document", "sticker")
_THUMBED = ("image", "video")  # wa-js: body = base64 JPEG thumbnail for these


@dataclass(frozen=True)
class Fixture:
    file: str
    mime: str
    duration: int | None = None
    thumb: str | None = None  # a committed thumbnail (video: Pillow cannot read one)


# a small real file of each kind (simulator/fixtures; README: how they were made)
FIXTURE_FILES: dict[MediaType, Fixture] = {
    "image": Fixture("photo.jpg", "image/jpeg"),
    "video": Fixture("video.mp4", "video/mp4", 1, "video-thumb.jpg"),
    "audio": Fixture("audio.mp3", "audio/mpeg", 2),
    "ptt": Fixture("voice.ogg", "audio/ogg; codecs=opus", 2),
    "document": Fixture("invoice.pdf", "application/pdf"),
    "sticker": Fixture("sticker.webp", "image/webp"),
}


def fixture_bytes(kind: MediaType) -> bytes:
    return (FIXTURES / FIXTURE_FILES[kind].file).read_bytes()


def new_media_id() -> str:
    return secrets.token_hex(12)


def build(
    kind: MediaType,
    data: bytes,
    mime: str,
    *,
    file_name: str | None = None,
    duration: int | None = None,
    thumb: bytes | None = None,
) -> Media:
    """A media file with what WhatsApp tells of it: dimensions and a thumbnail of pictures."""
    media = Media(new_media_id(), kind, mime, data, file_name=file_name, duration=duration)
    if kind in ("image", "sticker"):
        media.width, media.height, made = _picture(data)
        media.thumb = made if kind in _THUMBED else None
    elif kind == "video":
        media.thumb = thumb
        if thumb is not None:
            media.width, media.height, _ = _picture(thumb)
    if kind == "document" and file_name is None:
        media.file_name = "file"
    return media


def from_fixture(kind: MediaType, file_name: str | None = None) -> Media:
    spec = FIXTURE_FILES[kind]
    thumb = (FIXTURES / spec.thumb).read_bytes() if spec.thumb else None
    name = file_name or (spec.file if kind == "document" else None)
    return build(
        kind, fixture_bytes(kind), spec.mime, file_name=name, duration=spec.duration, thumb=thumb
    )


# what the control API takes for a kind: wa-js's types, and "voice" for a voice note
_KIND_NAMES: dict[str, MediaType] = {**{k: k for k in MEDIA_TYPES}, "voice": "ptt"}


def from_control(body: dict[str, object]) -> Media:
    """The file a contact sends (control API): the kind's fixture, or ``dataBase64`` + ``mime``."""
    kind = _KIND_NAMES.get(str(body.get("kind")))
    if kind is None:
        raise bad_request(f"kind must be one of {', '.join(_KIND_NAMES)}", "kind")
    name, duration = body.get("fileName"), body.get("duration")
    if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 255):
        raise bad_request("fileName must be 1-255 characters", "fileName")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= 86400
    ):
        raise bad_request("duration must be whole seconds (0-86400)", "duration")
    fails = body.get("failDownloads", 0)
    if isinstance(fails, bool) or not isinstance(fails, int) or not 0 <= fails <= 1000:
        raise bad_request("failDownloads must be an integer from 0 to 1000", "failDownloads")
    if body.get("dataBase64") is None:
        if body.get("mime") is not None:
            raise bad_request("mime goes with dataBase64 (a fixture has its own)", "mime")
        file = from_fixture(kind, name)
    else:
        data, mime = _decoded(body.get("dataBase64")), body.get("mime")
        if not isinstance(mime, str) or "/" not in mime or len(mime) > 255:
            raise bad_request("mime must be a MIME type such as image/jpeg", "mime")
        file = build(kind, data, mime, file_name=name, duration=duration)
    if duration is not None:
        file.duration = duration
    file.failures_left = fails
    return file


def _decoded(value: object) -> bytes:
    try:
        data = base64.b64decode(value if isinstance(value, str) else "", validate=True)
    except ValueError as exc:
        raise bad_request("dataBase64 is not valid base64", "dataBase64") from exc
    if not data:
        raise bad_request("dataBase64 must hold the file (1 byte or more)", "dataBase64")
    if len(data) > MAX_UPLOAD:
        raise SimError(413, "too_large", f"a file may be at most {MAX_UPLOAD} bytes", "dataBase64")
    return data


def from_upload(store: Store, spec: object) -> Media:
    """The file of a send (the page uploaded it first): ``{mediaId, kind, mime, fileName?}``."""
    if not isinstance(spec, dict) or set(spec) - {"mediaId", "kind", "mime", "fileName"}:
        raise bad_request("media must be an object {mediaId, kind, mime, fileName?}", "media")
    kind, mime, name = spec.get("kind"), spec.get("mime"), spec.get("fileName")
    if kind not in MEDIA_TYPES:
        raise bad_request(f"media.kind must be one of {', '.join(MEDIA_TYPES)}", "media.kind")
    if not isinstance(mime, str) or "/" not in mime or len(mime) > 255:
        raise bad_request("media.mime must be a MIME type", "media.mime")
    if name is not None and (not isinstance(name, str) or not 0 < len(name) <= 255):
        raise bad_request("media.fileName must be 1-255 characters", "media.fileName")
    data = store.take_upload(spec.get("mediaId"))
    known = _fixture_of(data)  # one of ours: its duration and thumbnail as WhatsApp has them
    duration = known.duration if known else None
    thumb = (FIXTURES / known.thumb).read_bytes() if known and known.thumb else None
    return build(kind, data, mime, file_name=name, duration=duration, thumb=thumb)


def _fixture_of(data: bytes) -> Fixture | None:
    for kind, spec in FIXTURE_FILES.items():
        if len(data) == (FIXTURES / spec.file).stat().st_size and data == fixture_bytes(kind):
            return spec
    return None


def _picture(data: bytes) -> tuple[int | None, int | None, bytes | None]:
    """Width, height and a small JPEG thumbnail; (None, None, None) for what Pillow cannot read."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            small = img.convert("RGB")
            small.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            small.save(out, "JPEG", quality=60)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None, None, None
    return width, height, out.getvalue()


# -- the media servers the page talks to ------------------------------------------------------


async def download(request: web.Request) -> web.Response:
    """``GET /media/<id>``: the file (503 while failures are injected)."""
    store = request.app[ENGINE].store
    media = store.media.get(request.match_info["media_id"])
    if media is None:
        raise not_found("no such media", "media_not_found")
    if media.failures_left > 0:
        media.failures_left -= 1
        raise SimError(503, "media_download_failed", "the media server did not answer")
    mime = media.mime.split(";")[0]
    return web.Response(body=media.data, content_type=mime, headers={"Cache-Control": "no-store"})


async def upload(request: web.Request) -> web.Response:
    """``POST /media/upload``: the page uploads a file it sends -> ``{mediaId}``; the send frame
    names it (the file's type and kind come with the send)."""
    if request.content_length and request.content_length > MAX_UPLOAD:
        raise SimError(413, "too_large", f"a file may be at most {MAX_UPLOAD} bytes")
    data = await request.read()
    if not data:
        raise bad_request("the body is the file; it was empty", "body")
    media_id = new_media_id()
    request.app[ENGINE].store.uploads[media_id] = data
    return web.json_response({"mediaId": media_id, "size": len(data)})


def setup_media_routes(app: web.Application) -> None:
    app.router.add_get("/media/{media_id}", download)
    app.router.add_post("/media/upload", upload)
