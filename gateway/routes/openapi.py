"""``GET /api/openapi.json``: the OpenAPI 3.1 document of every declared route (public)."""

from __future__ import annotations

from aiohttp import web

from gateway.jsonio import dumps
from gateway.keys import ENDPOINTS
from gateway.openapi import build_spec
from gateway.routing import Router

router = Router("meta")


@router.route(
    "GET",
    "/api/openapi.json",
    roles=None,
    summary="This OpenAPI 3.1 document",
    flat=True,
)
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(build_spec(request.app[ENDPOINTS]), dumps=dumps)
