"""The simulator's aiohttp app factory: the page, its live channel, control API, phone page."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from simulator.accounts import setup_account_routes
from simulator.config import SimConfig
from simulator.control import setup_control_routes
from simulator.engine import Engine
from simulator.errors import error_middleware
from simulator.keys import ENGINE
from simulator.media import MAX_UPLOAD, setup_media_routes
from simulator.page import setup_page_routes
from simulator.phone import setup_phone_routes

# a file sent by a contact comes base64 in JSON (4/3 of its size); a page's upload comes raw
MAX_REQUEST = MAX_UPLOAD * 4 // 3 + 1024 * 1024


def create_app(config: SimConfig | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=MAX_REQUEST)
    app[ENGINE] = Engine(config or SimConfig())
    setup_page_routes(app)
    setup_control_routes(app)
    setup_account_routes(app)
    setup_phone_routes(app)
    setup_media_routes(app)
    app.cleanup_ctx.append(_engine_ctx)
    app.on_shutdown.append(_close_pages)
    return app


async def _close_pages(app: web.Application) -> None:
    """Open websockets would hold shutdown for its whole timeout: close them first."""
    await app[ENGINE].conns.close_all()


async def _engine_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[ENGINE].conns.close_all()  # stops every page sequence still running
