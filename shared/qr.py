"""QR rendering: a WhatsApp ``data-ref`` string -> PNG bytes or a ``data:image/png`` URL."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_L

# WhatsApp's own QR uses low error correction; a long data-ref stays a readable size that way
_BOX_SIZE = 6
_BORDER = 4


def render_png(data_ref: str, *, box_size: int = _BOX_SIZE) -> bytes:
    if not data_ref:
        raise ValueError("data_ref must not be empty")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, box_size=box_size, border=_BORDER)
    code.add_data(data_ref)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def png_data_url(data_ref: str) -> str:
    return "data:image/png;base64," + base64.b64encode(render_png(data_ref)).decode("ascii")
