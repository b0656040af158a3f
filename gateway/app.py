"""The gateway application factory: ``create_app(settings)``; no module-level app or state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from arq.connections import ArqRedis
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from gateway.auth.passwords import Passwords
from gateway.auth.ratelimit import Limits, LoginRateLimiter
from gateway.auth.usercache import UserCache
from gateway.cors import cors_middleware
from gateway.errors import NotFound, error_middleware
from gateway.httplog import ProtocolErrorLog
from gateway.keys import (
    ARQ,
    ENDPOINTS,
    HTTP_METRICS,
    HUB,
    METRICS_REGISTRY,
    NAMES,
    PASSWORDS,
    PG,
    REDIS,
    SETTINGS,
    STOPPING,
    TRUSTED_PROXIES,
    USER_CACHE,
)
from gateway.metrics import HttpMetrics, metrics_middleware
from gateway.nostore import no_store_middleware
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
    sessions,
    shortcuts,
    socketinfo,
    stats,
)
from gateway.routing import Endpoint, add_endpoints
from gateway.web import setup_dashboard
from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.settings import Settings

log = logging.getLogger(__name__)

ROUTERS = (
    auth.router,
    managers.router,
    sessions.router,
    control.router,
    access.router,
    chats.router,
    messages.router,
    stats.router,
    shortcuts.router,
    socketinfo.router,
    ops.router,
    openapi.router,
    health.router,
)


def all_endpoints() -> list[Endpoint]:
    return [ep for r in ROUTERS for ep in r.endpoints]


POOL_CLOSE_S = 1.0


async def _postgres(app: web.Application) -> AsyncIterator[None]:
    # opened without waiting: the gateway starts (and /health says degraded) while Postgres is down
    settings = app[SETTINGS]
    pool = make_pool(
        settings.database_url, min_size=1, max_size=10, unit_timeout_s=settings.db_timeout_s
    )
    await pool.open(wait=False)
    app[PG] = pool
    yield
    await pool.close(timeout=POOL_CLOSE_S)


def _redis_options(settings: Settings) -> dict[str, Any]:
    # a Redis that accepts connections but never answers costs a request one timeout, not a hang
    t = settings.redis_timeout_s
    return {"socket_connect_timeout": t, "socket_timeout": t}


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = Redis.from_url(settings.redis_url, health_check_interval=30, **_redis_options(settings))
    app[REDIS] = redis
    limits = Limits(
        per_email=settings.login_attempts,
        per_address=settings.login_attempts_per_address,
        window_s=settings.login_window_s,
    )
    app[auth.LOGIN_LIMITER] = LoginRateLimiter(redis, app[NAMES], limits)
    yield
    await redis.aclose()


async def _arq(app: web.Application) -> AsyncIterator[None]:
    # no ping at startup (unlike arq's create_pool): the gateway starts while Redis is down
    # and enqueueing answers 503 until it is back, as every other Redis use does
    arq = ArqRedis.from_url(app[SETTINGS].redis_url, **_redis_options(app[SETTINGS]))
    app[ARQ] = arq
    yield
    await arq.aclose()


async def _stopping(app: web.Application) -> None:
    """SIGTERM (aiohttp runs on_shutdown after it stopped listening): long waits answer now."""
    app[STOPPING].set()


async def _unknown_route(request: web.Request) -> web.Response:
    raise NotFound(f"no route for {request.method} {request.path}")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        # CORS and no-store outside the error middleware, so error responses carry them too
        middlewares=[metrics_middleware, cors_middleware, no_store_middleware, error_middleware],
        client_max_size=settings.max_body_bytes,
        handler_args={"logger": ProtocolErrorLog(logging.getLogger("aiohttp.server"))},
    )
    app[SETTINGS] = settings
    app[NAMES] = RedisNames.of(settings)
    app[TRUSTED_PROXIES] = settings.trusted_proxy_networks
    app[STOPPING] = asyncio.Event()
    app[PASSWORDS] = Passwords(settings)
    app[USER_CACHE] = UserCache(settings.auth_cache_s)
    registry = CollectorRegistry()
    app[METRICS_REGISTRY] = registry
    app[HTTP_METRICS] = HttpMetrics(registry)
    hub = Hub(settings)
    app[HUB] = hub
    hub.attach(app)
    app.cleanup_ctx.extend([_postgres, _redis, _arq, hub.lifecycle])
    app.on_shutdown.extend([_stopping, hub.on_shutdown])
    endpoints = tuple(all_endpoints())
    app[ENDPOINTS] = endpoints
    add_endpoints(app, endpoints)
    setup_dashboard(app)
    app.router.add_route("*", "/api/{tail:.*}", _unknown_route)
    return app
