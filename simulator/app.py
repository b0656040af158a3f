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
from simulator.page import setup_page_routes
from simulator.phone import setup_phone_routes


def create_app(config: SimConfig | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=2 * 1024 * 1024)
    app[ENGINE] = Engine(config or SimConfig())
    setup_page_routes(app)
    setup_control_routes(app)
    setup_account_routes(app)
    setup_phone_routes(app)
    app.cleanup_ctx.append(_engine_ctx)
    app.on_shutdown.append(_close_pages)
    return app


async def _close_pages(app: web.Application) -> None:
    """Open websockets would hold shutdown for its whole timeout: close them first."""
    await app[ENGINE].conns.close_all()


async def _engine_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[ENGINE].conns.close_all()  # stops every page sequence still running
