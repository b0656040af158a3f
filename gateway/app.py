"""The gateway application factory: ``create_app(settings)``; no module-level app or state."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web
from arq.connections import ArqRedis
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from gateway.auth.passwords import Passwords
from gateway.auth.ratelimit import LoginRateLimiter
from gateway.auth.usercache import UserCache
from gateway.cors import cors_middleware
from gateway.errors import NotFound, error_middleware
from gateway.keys import (
    ARQ,
    ENDPOINTS,
    HTTP_METRICS,
    HUB,
    METRICS_REGISTRY,
    PAGE_DRIFT,
    PASSWORDS,
    PG,
    REDIS,
    SETTINGS,
    USER_CACHE,
)
from gateway.metrics import HttpMetrics, PageDrift, metrics_middleware
from gateway.realtime.hub import Hub
from gateway.routes import (
    access,
    auth,
    chats,
    control,
    health,
    managers,
    messages,
    openapi,
    ops,
    pairing,
    quickreplies,
    search,
    sessions,
    shortcuts,
    socketinfo,
    stats,
)
from gateway.routing import Endpoint, add_endpoints
from gateway.web import setup_dashboard
from shared.db.pool import make_pool
from shared.settings import Settings

log = logging.getLogger(__name__)

ROUTERS = (
    auth.router,
    managers.router,
    sessions.router,
    control.router,
    pairing.router,
    access.router,
    chats.router,
    messages.router,
    search.router,
    quickreplies.router,
    stats.router,
    shortcuts.router,
    socketinfo.router,
    ops.router,
    openapi.router,
    health.router,
)


def all_endpoints() -> list[Endpoint]:
    return [ep for r in ROUTERS for ep in r.endpoints]


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    # opened without waiting: the gateway starts (and /health says degraded) while Postgres is down
    pool = make_pool(app[SETTINGS].database_url, min_size=1, max_size=10)
    await pool.open(wait=False)
    app[PG] = pool
    yield
    await pool.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = Redis.from_url(
        settings.redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
    )
    app[REDIS] = redis
    app[auth.LOGIN_LIMITER] = LoginRateLimiter(
        redis, attempts=settings.login_attempts, window_s=settings.login_window_s
    )
    yield
    await redis.aclose()


async def _arq(app: web.Application) -> AsyncIterator[None]:
    # no ping at startup (unlike arq's create_pool): the gateway starts while Redis is down
    # and enqueueing answers 503 until it is back, as every other Redis use does
    arq = ArqRedis.from_url(app[SETTINGS].redis_url, socket_connect_timeout=2, socket_timeout=5)
    app[ARQ] = arq
    yield
    await arq.aclose()


async def _unknown_route(request: web.Request) -> web.Response:
    raise NotFound(f"no route for {request.method} {request.path}")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        # CORS outside the error middleware, so error responses carry CORS headers too
        middlewares=[metrics_middleware, cors_middleware, error_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[PASSWORDS] = Passwords(settings)
    app[USER_CACHE] = UserCache(settings.auth_cache_s)
    registry = CollectorRegistry()
    app[METRICS_REGISTRY] = registry
    app[HTTP_METRICS] = HttpMetrics(registry)
    app[PAGE_DRIFT] = PageDrift(registry)
    hub = Hub(settings)
    app[HUB] = hub
    hub.attach(app)
    app.cleanup_ctx.extend([_postgres, _redis, _arq, hub.lifecycle])
    endpoints = tuple(all_endpoints())
    app[ENDPOINTS] = endpoints
    add_endpoints(app, endpoints)
    setup_dashboard(app)
    app.router.add_route("*", "/api/{tail:.*}", _unknown_route)
    return app
