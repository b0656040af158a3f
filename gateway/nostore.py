"""API answers are never stored: ``Cache-Control: no-store`` on everything under ``/api/`` and
the status alias, errors included (a login answer carries a token; a browser or a proxy must not
keep it)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

API_PREFIXES = ("/api/", "/whatsapp/")


@web.middleware
async def no_store_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(API_PREFIXES) and not response.prepared:
        response.headers["Cache-Control"] = "no-store"
    return response
