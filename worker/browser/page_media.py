"""Page objects for media (the page bridge, best effort): what a row shows of its file, the file's
bytes from its blob: URL, and sending a file through the composer's attach menu.

A row tells the kind (its frame or player), a document's name, a duration, a thumbnail and, once
the page downloaded it, a blob: URL; the MIME type is guessed from the name (WhatsApp Web shows
none). Blocking, run on the session's driver thread; sending is ``actions.attach_and_send``.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from shared.media.kinds import KINDS, MediaKind
from worker.browser import scripts
from worker.browser.errors import PageError
from worker.browser.media_fields import DEFAULT_MIME, jpeg_thumbnail
from worker.browser.observed import ObservedMedia

_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_DATA_JPEG = "data:image/jpeg;base64,"


def row_media(raw: object) -> ObservedMedia | None:
    """What ``read_rows.js`` read of a row's file."""
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        return None
    kind: MediaKind = raw["kind"]
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    thumb = raw.get("thumb") if isinstance(raw.get("thumb"), str) else ""
    blob = raw.get("blob") if isinstance(raw.get("blob"), str) else None
    return ObservedMedia(
        kind=kind,
        mime=guess_mime(kind, name),
        file_name=name,
        duration_s=clock_seconds(raw.get("duration")),
        thumbnail=jpeg_thumbnail(thumb.removeprefix(_DATA_JPEG)) if thumb else None,
        source=blob if blob and blob.startswith("blob:") else None,
    )


def guess_mime(kind: MediaKind, name: str | None) -> str:
    guessed = mimetypes.guess_type(name)[0] if name else None
    return guessed or DEFAULT_MIME[kind]


def clock_seconds(text: object) -> float | None:
    """``0:02`` / ``1:02:03`` -> seconds."""
    match = _CLOCK.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def fetch_file(driver: WebDriver, wa_msg_id: str, blob_url: str | None, timeout_s: float) -> bytes:
    """The bytes of a row's file: its blob: URL fetched in the page (a failed download is tried
    again with the row's retry button); raises ``PageError``."""
    got: dict[str, Any] = scripts.run_async(
        driver, "media_fetch.js", wa_msg_id, blob_url, int(timeout_s * 1000),
        answer_within_s=timeout_s + 5,
    )  # fmt: skip
    if "error" in got:
        raise PageError(str(got.get("code") or "download_failed"), str(got["error"]))
    try:
        return base64.b64decode(str(got.get("data") or ""), validate=True)
    except ValueError as exc:
        raise PageError("download_unreadable", "the file came back unreadable") from exc
