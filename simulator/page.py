"""The WhatsApp-Web-like page: the single-page app, its static files, and the QR image."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from simulator.errors import bad_request
from simulator.live import ws_chat
from simulator.qr import qr_png

STATIC = Path(__file__).parent / "static"
_NO_CACHE = {"Cache-Control": "no-store"}


def _html(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name, headers={**_NO_CACHE, "Content-Type": "text/html"})


async def index(request: web.Request) -> web.FileResponse:
    """``/`` and ``/send``. A headless Chromium gets the "update your browser" page."""
    if "HeadlessChrome" in request.headers.get("User-Agent", ""):
        return _html("unsupported.html")
    return _html("index.html")


async def qr_image(request: web.Request) -> web.Response:
    data = request.query.get("data", "")
    if not 0 < len(data) <= 1000:
        raise bad_request("data must be 1-1000 characters", "data")
    return web.Response(body=qr_png(data), content_type="image/png", headers=_NO_CACHE)


def setup_page_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/send", index)
    app.router.add_get("/ws/chat", ws_chat)
    app.router.add_get("/_sim/qr.png", qr_image)
    app.router.add_static("/static/", STATIC)
