"""The media kinds WhatsApp has, the types each accepts, and the name of one for a file.

One home for "may this file go out as that kind": the gateway checks uploads with it, the worker
maps WhatsApp's message types with it.
"""

from __future__ import annotations

import re
from typing import Literal

MediaKind = Literal["image", "video", "audio", "voice", "document", "sticker"]
KINDS: tuple[MediaKind, ...] = ("image", "video", "audio", "voice", "document", "sticker")

# WhatsApp's own message types (wa-js Msg.type) -> ours; "ptt" is a voice note
WA_TYPES: dict[str, MediaKind] = {
    "image": "image",
    "video": "video",
    "gif": "video",
    "audio": "audio",
    "ptt": "voice",
    "document": "document",
    "sticker": "sticker",
}

# what WhatsApp accepts per kind (a document may be any type)
_ACCEPTS: dict[MediaKind, tuple[str, ...]] = {
    "image": ("image/jpeg", "image/png", "image/webp"),
    "video": ("video/mp4", "video/3gpp"),
    "audio": ("audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/opus"),
    "voice": ("audio/ogg", "audio/opus"),
    "sticker": ("image/webp",),
}


_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[\w.+-]+( *;[\x20-\x7e]*)?$")


def valid_mime(mime: str) -> bool:
    """A media type (``type/subtype`` with optional parameters, printable ASCII, <= 255)."""
    return len(mime) <= 255 and _MEDIA_TYPE.match(mime) is not None


def base_mime(mime: str) -> str:
    """``audio/ogg; codecs=opus`` -> ``audio/ogg`` (lower case)."""
    return mime.split(";", 1)[0].strip().lower()


def accepts(kind: MediaKind, mime: str) -> bool:
    if kind == "document":
        return "/" in mime
    return base_mime(mime) in _ACCEPTS[kind]


def kind_for(mime: str) -> MediaKind:
    """The kind a file of this type goes out as when the sender names none."""
    base = base_mime(mime)
    for kind in ("image", "video", "audio"):
        if base in _ACCEPTS[kind]:
            return kind
    return "document"
