"""Every typed key of app and request state, in one place."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING

from aiohttp import web
from arq.connections import ArqRedis
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.constants import RedisNames
from shared.eventwriter import EventWriter
from shared.media.store import MediaStore
from shared.settings import Settings

if TYPE_CHECKING:
    from gateway.auth.passwords import Passwords
    from gateway.auth.principal import Principal
    from gateway.auth.usercache import UserCache
    from gateway.forwarded import Client
    from gateway.metrics import Capacity, HttpMetrics, RedisCounts, WorkerCounters
    from gateway.pagecache import PageCache
    from gateway.realtime.hub import Hub
    from gateway.routing import Endpoint

SETTINGS = web.AppKey("settings", Settings)
PG = web.AppKey("pg", AsyncConnectionPool)
NAMES = web.AppKey("names", RedisNames)  # every Redis name of this deployment (its prefix)
REDIS = web.AppKey("redis", Redis)
# units of work that log the events they cause, published after the commit
EVENTS = web.AppKey("events", EventWriter)
ARQ = web.AppKey("arq", ArqRedis)  # enqueues commands for workers (shared.queues)
MEDIA = web.AppKey("media", MediaStore)  # media bytes (APP_MEDIA_BACKEND)
PASSWORDS: web.AppKey[Passwords] = web.AppKey("passwords")
USER_CACHE: web.AppKey[UserCache] = web.AppKey("user_cache")  # token -> user, seconds
PAGE_CACHE: web.AppKey[PageCache] = web.AppKey("page_cache")  # chats/messages pages, per event
HUB: web.AppKey[Hub] = web.AppKey("hub")  # Socket.IO server, rooms and the event relay
METRICS_REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("http_metrics")
PAGE_DRIFT: web.AppKey[RedisCounts] = web.AppKey("page_drift")  # wa:drift, refreshed per scrape
# wa:snapshot_failures, refreshed per scrape
SNAPSHOT_FAILURES: web.AppKey[RedisCounts] = web.AppKey("snapshot_failures")
CAPACITY: web.AppKey[Capacity] = web.AppKey("capacity")  # workers per host, refused writes
MEDIA_DOWNLOADS: web.AppKey[RedisCounts] = web.AppKey("media_downloads")  # wa:media, the same
WORKER_COUNTS: web.AppKey[WorkerCounters] = web.AppKey("worker_counts")  # wa:counters, likewise
# reverse proxies whose forwarding headers are believed (APP_TRUSTED_PROXIES, parsed once)
TRUSTED_PROXIES: web.AppKey[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]] = web.AppKey(
    "trusted_proxies"
)
STOPPING = web.AppKey("stopping", asyncio.Event)  # set on SIGTERM: long waits answer early
ENDPOINTS: web.AppKey[tuple[Endpoint, ...]] = web.AppKey("endpoints")  # for the OpenAPI spec

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
REQUEST_ID = web.RequestKey("request_id", str)
CLIENT: web.RequestKey[Client] = web.RequestKey("client")  # gateway/forwarded.py decides it
AUTH_DEGRADED = web.RequestKey("auth_degraded", bool)  # authenticated by token alone, DB down
