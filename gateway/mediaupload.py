"""The file of a send-media request: a multipart upload, or a URL the gateway downloads.

Both are read in chunks and cut off at APP_MEDIA_MAX_MB (413 naming the field); a declared
Content-Length over it is refused before reading anything. The app-wide body limit
(APP_MAX_BODY_BYTES) does not apply here: it guards ``request.read()``, which these routes never
call. URLs follow the webhook rules (shared/urlpolicy.py): http(s) to public addresses only,
every address checked where it is connected to, each redirect checked again, one total timeout.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from aiohttp import BodyPartReader, web

from gateway.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from shared import urlpolicy
from shared.resolver import PublicResolver, refused_in
from shared.settings import Settings

CHUNK = 256 * 1024
MAX_FIELD_BYTES = 8 * 1024  # a text field of the form (a caption is at most 1024 characters)
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and text fields on top of the file
MAX_REDIRECTS = 3
OCTET = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    mime: str  # as sent (the part's or the answer's Content-Type), else guessed from the name
    name: str | None  # the file's own name (the part's filename, the URL's last segment)


def bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


def too_large(field: str, max_bytes: int) -> PayloadTooLarge:
    mb = max_bytes // (1024 * 1024)
    return PayloadTooLarge(
        f"{field}: larger than {mb} MB (APP_MEDIA_MAX_MB)",
        details=[{"field": field, "message": f"larger than {mb} MB", "maxBytes": max_bytes}],
    )


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def file_name_of(raw: str | None) -> str | None:
    """The last segment of a sender's file name, without control characters, at most 255."""
    if not raw:
        return None
    name = _UNPRINTABLE.sub("", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()[:255]
    return name if name not in ("", ".", "..") else None


def mime_of(declared: str | None, name: str | None) -> str:
    if declared and declared.lower() != OCTET:
        return declared
    guessed = mimetypes.guess_type(name)[0] if name else None
    return guessed or OCTET


def is_multipart(request: web.Request) -> bool:
    return request.content_type == "multipart/form-data"


async def read_form(request: web.Request, max_bytes: int) -> tuple[dict[str, str], Upload | None]:
    """The text fields and the ``file`` part of a multipart/form-data body."""
    if request.content_length is not None and request.content_length > max_bytes + FORM_OVERHEAD:
        raise too_large("file", max_bytes)
    try:
        reader = await request.multipart()
    except (AssertionError, ValueError) as exc:  # aiohttp asserts on a missing boundary
        raise UnsupportedMediaType(f"body: not a readable multipart form ({exc})") from None
    fields: dict[str, str] = {}
    upload: Upload | None = None
    try:
        async for part in reader:
            if not isinstance(part, BodyPartReader) or not part.name:
                raise BadRequest("body: nested or unnamed form parts are not accepted")
            if part.name in fields or (part.name == "file" and upload is not None):
                raise bad(part.name, "given more than once")
            if part.name == "file":
                data = await _read_part(part, max_bytes)
                name = file_name_of(part.filename)
                upload = Upload(data, mime_of(part.headers.get("Content-Type"), name), name)
            else:
                raw = await _read_part(part, MAX_FIELD_BYTES, field=part.name)
                try:
                    fields[part.name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise bad(part.name, "must be UTF-8 text") from None
    except (ValueError, aiohttp.ClientPayloadError, asyncio.IncompleteReadError) as exc:
        raise BadRequest(f"body: malformed multipart form ({exc})") from None
    return fields, upload


async def _read_part(part: BodyPartReader, limit: int, *, field: str = "file") -> bytes:
    chunks: list[bytes] = []
    total = 0
    while chunk := await part.read_chunk(CHUNK):
        total += len(chunk)
        if total > limit:
            if field == "file":
                raise too_large(field, limit)
            raise bad(field, f"longer than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch(url: str, settings: Settings) -> Upload:
    """Download ``url`` under the webhook SSRF rules; 400 naming ``url`` when it is refused or
    cannot be fetched, 413 when it is too large."""
    allow = settings.webhook_allow_private
    timeout = aiohttp.ClientTimeout(total=settings.media_fetch_timeout_s, connect=10)
    connector = aiohttp.TCPConnector(resolver=None if allow else PublicResolver(), limit=4)
    try:
        async with (
            asyncio.timeout(settings.media_fetch_timeout_s),
            aiohttp.ClientSession(timeout=timeout, connector=connector) as http,
        ):
            return await _download(http, url, settings)
    except TimeoutError:
        raise bad("url", f"no answer within {settings.media_fetch_timeout_s:g}s") from None
    except aiohttp.ClientError as exc:
        refused = refused_in(exc)
        if refused is not None:
            raise bad("url", f"not a public address ({refused})") from None
        raise bad("url", f"could not be downloaded ({type(exc).__name__})") from None


async def _download(http: aiohttp.ClientSession, url: str, settings: Settings) -> Upload:
    max_bytes = settings.media_max_bytes
    for _ in range(MAX_REDIRECTS + 1):
        try:
            await urlpolicy.check(url, allow_private=settings.webhook_allow_private)
        except urlpolicy.UrlRefused as exc:
            raise bad("url", str(exc)) from None
        async with http.get(url, allow_redirects=False, headers={"Accept": "*/*"}) as resp:
            if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                url = urljoin(url, resp.headers["Location"])  # checked again on the next turn
                continue
            if resp.status != 200:
                raise bad("url", f"answered HTTP {resp.status}")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise too_large("url", max_bytes)
            chunks: list[bytes] = []
            total = 0
            async for chunk in resp.content.iter_chunked(CHUNK):
                total += len(chunk)
                if total > max_bytes:
                    raise too_large("url", max_bytes)
                chunks.append(chunk)
            name = file_name_of(unquote(PurePosixPath(urlsplit(url).path).name))
            declared = resp.headers.get("Content-Type")
            return Upload(b"".join(chunks), mime_of(declared, name), name)
    raise bad("url", f"more than {MAX_REDIRECTS} redirects")
