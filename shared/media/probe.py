"""What a picture says of itself: its size and a small JPEG thumbnail (at most 32 KB, as
wa_message_media keeps), for pictures we send; None when the bytes are not a picture."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

THUMB_SIDE = 96
MAX_THUMB_BYTES = 32 * 1024
MAX_PIXELS = 64_000_000  # a decompression bomb is no picture


@dataclass(frozen=True, slots=True)
class Picture:
    width: int
    height: int
    thumbnail: bytes | None


def picture(data: bytes) -> Picture | None:
    """Blocking (decodes the image): run it in a thread."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if width * height > MAX_PIXELS:
                return None
            img.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=70)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    thumb = out.getvalue()
    return Picture(width, height, thumb if len(thumb) <= MAX_THUMB_BYTES else None)
