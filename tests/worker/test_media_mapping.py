"""What both bridges make of a file (pure): wa-js's media types and fields, a page row's media
block, thumbnails, durations, previews and the retry backoff."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.media import FIXTURES
from worker.browser.drift import DriftKind
from worker.browser.media_fields import MAX_THUMBNAIL, jpeg_thumbnail
from worker.browser.module_read import items, message_type
from worker.browser.observed import ObservedMedia
from worker.browser.page_media import clock_seconds, guess_mime, row_media
from worker.media import backoff
from worker.publisher import preview_of

NOW = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)
PN = "15550001111@c.us"
JPEG = (FIXTURES / "video-thumb.jpg").read_bytes()
THUMB = base64.b64encode(JPEG).decode()


def _msg(wa_type: str, body: str = "", media: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "kind": "msg", "seq": 1, "id": f"false_{PN}_3A01", "bare": "3A01", "fromMe": False,
        "remote": PN, "from": PN, "to": "15559990000@c.us", "author": None, "t": 1781352000,
        "ack": 2, "type": wa_type, "body": body, "notifyName": "Ann", "media": media,
        "chat": {"id": PN, "phone": PN, "lid": None, "name": "Ann", "group": False},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("wa_type", "kind"),
    [("image", "image"), ("video", "video"), ("gif", "video"), ("audio", "audio"),
     ("ptt", "voice"), ("document", "document"), ("sticker", "sticker")],
)  # fmt: skip
def test_wa_js_media_types_become_kinds_with_their_fields(wa_type: str, kind: str) -> None:
    fields = {"mimetype": "x/y", "size": 1234, "filename": "a.pdf", "duration": "7",
              "width": 320, "height": 240, "thumb": THUMB}  # fmt: skip
    got = items([_msg(wa_type, "caption", fields)], NOW)
    [m] = got.messages
    assert (m.msg_type, m.body, got.drift) == (kind, "caption", [])
    assert m.media == ObservedMedia(
        kind=kind,  # type: ignore[arg-type]
        mime="x/y", size=1234, file_name="a.pdf", duration_s=7.0, width=320, height=240,
        thumbnail=JPEG,
    )  # fmt: skip


def test_a_media_message_without_fields_gets_the_kinds_default_type() -> None:
    assert message_type("ptt", None) == (
        "voice",
        ObservedMedia(kind="voice", mime="audio/ogg; codecs=opus"),
    )
    assert message_type("chat", {"mimetype": "x/y"}) == ("text", None)


def test_an_unknown_type_is_kept_as_unsupported_and_noted_once_per_type() -> None:
    got = items([_msg("location", "here"), {**_msg("location"), "bare": "3A02"}], NOW)
    assert [(m.msg_type, m.body, m.media) for m in got.messages] == [
        ("unsupported", "here", None),
        ("unsupported", "", None),
    ]
    assert {(d.kind, d.key) for d in got.drift} == {(DriftKind.MESSAGE_TYPE_UNKNOWN, "location")}


def test_whatsapps_own_notices_are_still_no_messages() -> None:
    assert items([_msg("e2e_notification"), _msg("revoked")], NOW).messages == []


@pytest.mark.parametrize(
    ("raw", "ok"),
    [(THUMB, True), ("", False), (None, False), ("not base64!", False),
     (base64.b64encode(b"\x89PNG....").decode(), False),
     (base64.b64encode(b"\xff\xd8" + b"\0" * MAX_THUMBNAIL).decode(), False)],
)  # fmt: skip
def test_only_small_jpegs_are_kept_as_thumbnails(raw: object, ok: bool) -> None:
    assert (jpeg_thumbnail(raw) is not None) is ok


def test_a_page_rows_media_block() -> None:
    assert row_media({"kind": "voice", "blob": "blob:http://x/1", "duration": "0:07"}) == (
        ObservedMedia(kind="voice", mime="audio/ogg; codecs=opus", duration_s=7.0,
                      source="blob:http://x/1")
    )  # fmt: skip
    doc = row_media({"kind": "document", "name": "q3.pdf", "blob": None})
    assert doc == ObservedMedia(kind="document", mime="application/pdf", file_name="q3.pdf")
    image = row_media({"kind": "image", "thumb": f"data:image/jpeg;base64,{THUMB}"})
    assert image is not None and image.thumbnail == JPEG and image.source is None
    assert row_media({"kind": "hologram"}) is None
    assert row_media(None) is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0:02", 2.0), ("12:30", 750.0), ("1:02:03", 3723.0), ("", None), ("2s", None), (7, None)],
)
def test_durations_as_the_page_shows_them(text: object, seconds: float | None) -> None:
    assert clock_seconds(text) == seconds


def test_types_guessed_from_a_name() -> None:
    assert guess_mime("document", "a.docx").endswith("wordprocessingml.document")
    assert guess_mime("document", "noext") == "application/octet-stream"
    assert guess_mime("image", None) == "image/jpeg"


def test_retries_back_off_exponentially_up_to_ten_minutes() -> None:
    waits = [backoff(n) for n in (1, 2, 3, 4, 20)]
    assert waits == [timedelta(seconds=s) for s in (5, 10, 20, 40, 600)]


def test_previews_of_messages_without_text() -> None:
    assert preview_of("voice") == "🎤 Voice message"
    assert preview_of("unsupported") == "Unsupported message"
    assert preview_of("text") == ""
