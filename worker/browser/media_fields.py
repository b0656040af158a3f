"""What WhatsApp tells of a file, read the same way by both bridges: a type when it names none,
and the small JPEG thumbnail it keeps with images and videos."""

from __future__ import annotations

import base64

from shared.media.kinds import MediaKind

MAX_THUMBNAIL = 32 * 1024  # wa_message_media.thumbnail's limit
# when WhatsApp names no type of the file
DEFAULT_MIME: dict[MediaKind, str] = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "voice": "audio/ogg; codecs=opus",
    "document": "application/octet-stream",
    "sticker": "image/webp",
}


def jpeg_thumbnail(raw: object) -> bytes | None:
    """A base64 JPEG (wa-js's body of an image or video); None unless it is one, small enough."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_THUMBNAIL * 4 // 3 + 4:
        return None
    try:
        data = base64.b64decode(raw, validate=True)
    except ValueError:
        return None
    return data if data.startswith(b"\xff\xd8") and len(data) <= MAX_THUMBNAIL else None
