"""Render a QR code's content as a 264x264 PNG (what the page draws into its canvas)."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image

SIZE = 264
BORDER = 2  # quiet zone, in modules


@lru_cache(maxsize=128)
def qr_png(data: str, size: int = SIZE) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=BORDER)
    code.add_data(data)
    code.make(fit=True)
    modules = code.modules_count + 2 * BORDER
    code.box_size = max(1, size // modules)
    drawn = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    canvas = Image.new("L", (max(size, drawn.width), max(size, drawn.height)), 255)
    canvas.paste(drawn, ((canvas.width - drawn.width) // 2, (canvas.height - drawn.height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
