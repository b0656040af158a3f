"""QR rendering decodes back to exactly the data-ref (real decoder: zbar)."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from shared.qr import png_data_url, render_png

REF = (
    "2@Vq3b7+/aZ0kY1X0cQ9m8fR2hW5t==,"
    "ZwB0a1u9yq6c0Pq2e3vK5JtZ3r1lH9nD6kXo8mY4sQw=,"
    "p3R7d2c9Jk1QmN5vB8xL0tY6wE4uI2oA7sD3fG9hK1c=,"
    "Zx8cV2bN4mQ6wE9rT1yU3iO5pA7sD0fG2hJ4kL6zX8c="
)


def _decode(png: bytes) -> str:
    found = decode(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return str(found[0].data.decode("utf-8"))


def test_png_decodes_to_exact_ref() -> None:
    assert _decode(render_png(REF)) == REF


def test_data_url_carries_the_same_png() -> None:
    url = png_data_url(REF)
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    assert _decode(base64.b64decode(url[len(prefix) :])) == REF


def test_empty_ref_is_refused() -> None:
    with pytest.raises(ValueError, match="data_ref"):
        render_png("")
