"""``/_sim/phone``: a page that plays the phone for a person (link a QR, chat as contacts, acks)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"


async def phone_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC / "phone.html", headers={"Cache-Control": "no-store", "Content-Type": "text/html"}
    )


def setup_phone_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/phone", phone_page)
