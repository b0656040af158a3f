"""QR rendering: a WhatsApp ``data-ref`` string -> PNG bytes or a ``data:image/png`` URL.

A QR is rendered once per rotation, by the worker that saw it, off its event loop
(``render_png_off_loop``), and kept with the QR (``wa_sessions.qr_png``); the gateway's REST
answers and socket replays serve that PNG (``stored_png``) and never render on their loop.
"""

from __future__ import annotations

import asyncio
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


async def render_png_off_loop(data_ref: str) -> bytes:
    """``render_png`` in a thread: a few milliseconds of CPU that no event loop waits on."""
    return await asyncio.to_thread(render_png, data_ref)


async def stored_png(data_ref: str, png: bytes | None) -> bytes:
    """The PNG kept with the QR; a QR stored without one (by a worker from before migration
    0012) is rendered off the loop."""
    return png if png else await render_png_off_loop(data_ref)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def png_data_url(data_ref: str) -> str:
    return data_url(render_png(data_ref))
