"""CORS for the API: only origins listed in ``APP_CORS_ORIGINS`` may call it from a browser.

Preflights (OPTIONS with Access-Control-Request-Method) are answered here with 204, or 403 for
an origin not on the list. Tokens travel in the Authorization header, so no credentials mode.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import Forbidden, error_response, request_id_of
from gateway.keys import SETTINGS

ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Request-ID"
EXPOSE_HEADERS = "X-Request-ID, Retry-After"
MAX_AGE_S = "600"


def _allowed(request: web.Request, origin: str) -> bool:
    return origin in request.app[SETTINGS].cors_origin_list


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith(("/api/", "/whatsapp/")):
        return await handler(request)
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if preflight:
        if not _allowed(request, origin):
            denied = Forbidden(f"origin {origin} may not call this API (see APP_CORS_ORIGINS)")
            return error_response(denied, request_id_of(request))
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_S,
                "Vary": "Origin",
            },
        )
    response = await handler(request)
    if _allowed(request, origin) and not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        response.headers.add("Vary", "Origin")
    return response
