"""The gateway application factory: ``create_app(settings)``; no module-level app or state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from arq.connections import ArqRedis
from prometheus_client import CollectorRegistry
from redis.asyncio import BlockingConnectionPool, Redis

from gateway.auth.passwords import Passwords
from gateway.auth.ratelimit import Limits, LoginRateLimiter
from gateway.auth.usercache import UserCache
from gateway.cors import cors_middleware
from gateway.errors import NotFound, error_middleware
from gateway.keys import (
    ARQ,
    CAPACITY,
    ENDPOINTS,
    EVENTS,
    HTTP_METRICS,
    HUB,
    MEDIA,
    MEDIA_DOWNLOADS,
    METRICS_REGISTRY,
    NAMES,
    PAGE_CACHE,
    PAGE_DRIFT,
    PASSWORDS,
    PG,
    REDIS,
    SETTINGS,
    SNAPSHOT_FAILURES,
    STOPPING,
    TRUSTED_PROXIES,
    USER_CACHE,
    WORKER_COUNTS,
)
from gateway.metrics import (
    Capacity,
    HttpMetrics,
    WorkerCounters,
    media_downloads,
    metrics_middleware,
    page_drift,
    snapshot_failures,
)
from gateway.nostore import no_store_middleware
from gateway.pagecache import PageCache
from gateway.realtime.hub import Hub
from gateway.routes import (
    access,
    apikeys,
    audit,
    auth,
    chats,
    control,
    deliveries,
    health,
    hosts,
    managers,
    media,
    messages,
    openapi,
    ops,
    pairing,
    passkey,
    quickreplies,
    search,
    sendmedia,
    sessions,
    shortcuts,
    socketinfo,
    stats,
    webhooks,
)
from gateway.routing import Endpoint, add_endpoints
from gateway.web import setup_dashboard
from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.eventwriter import EventWriter
from shared.media.factory import media_store
from shared.settings import Settings

log = logging.getLogger(__name__)

ROUTERS = (
    auth.router,
    managers.router,
    sessions.router,
    control.router,
    pairing.router,
    passkey.router,
    access.router,
    chats.router,
    messages.router,
    sendmedia.router,
    media.router,
    search.router,
    quickreplies.router,
    stats.router,
    shortcuts.router,
    socketinfo.router,
    webhooks.router,
    deliveries.router,
    apikeys.router,
    audit.router,
    ops.router,
    hosts.router,
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


REDIS_CONNECTIONS = 64


def _redis_pool(settings: Settings) -> BlockingConnectionPool:
    """A Redis that accepts connections but never answers costs a request one timeout, not a
    hang: every command, connect and wait for a free connection is bounded. (The blocking pool
    connects outside its lock: with the default pool, concurrent requests queue behind one
    connection attempt to a silent server, each adding a timeout.)"""
    t = settings.redis_timeout_s
    return BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=REDIS_CONNECTIONS,
        timeout=t,
        socket_connect_timeout=t,
        socket_timeout=t,
        health_check_interval=30,
    )


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    redis = Redis.from_pool(_redis_pool(settings))
    app[REDIS] = redis
    limits = Limits(
        per_email=settings.login_attempts,
        per_address=settings.login_attempts_per_address,
        window_s=settings.login_window_s,
    )
    app[auth.LOGIN_LIMITER] = LoginRateLimiter(redis, app[NAMES], limits)
    app[EVENTS] = EventWriter(app[PG], redis, channel=app[NAMES].events_channel)
    yield
    await redis.aclose()


async def _arq(app: web.Application) -> AsyncIterator[None]:
    # no ping at startup (unlike arq's create_pool): the gateway starts while Redis is down
    # and enqueueing answers 503 until it is back, as every other Redis use does
    arq = ArqRedis(connection_pool=_redis_pool(app[SETTINGS]))
    arq.auto_close_connection_pool = True  # as from_pool does
    app[ARQ] = arq
    yield
    await arq.aclose()


async def _media(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[MEDIA].close()  # the S3 backend's connections


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
    )
    app[SETTINGS] = settings
    app[NAMES] = RedisNames.of(settings)
    app[TRUSTED_PROXIES] = settings.trusted_proxy_networks
    app[STOPPING] = asyncio.Event()
    app[PASSWORDS] = Passwords(settings)
    app[USER_CACHE] = UserCache(settings.auth_cache_s)
    app[MEDIA] = media_store(settings)
    registry = CollectorRegistry()
    app[METRICS_REGISTRY] = registry
    app[PAGE_CACHE] = PageCache(settings.page_cache_entries, settings.page_cache_ttl_s, registry)
    app[HTTP_METRICS] = HttpMetrics(registry)
    app[PAGE_DRIFT] = page_drift(registry)
    app[MEDIA_DOWNLOADS] = media_downloads(registry)
    app[SNAPSHOT_FAILURES] = snapshot_failures(registry)
    app[CAPACITY] = Capacity(registry)
    app[WORKER_COUNTS] = WorkerCounters(registry)
    hub = Hub(settings, registry)
    app[HUB] = hub
    hub.attach(app)
    app.cleanup_ctx.extend([_postgres, _redis, _arq, _media, hub.lifecycle])
    app.on_shutdown.extend([_stopping, hub.on_shutdown])
    endpoints = tuple(all_endpoints())
    app[ENDPOINTS] = endpoints
    add_endpoints(app, endpoints)
    setup_dashboard(app)
    app.router.add_route("*", "/api/{tail:.*}", _unknown_route)
    return app
