"""Every typed key of app and request state, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.settings import Settings

if TYPE_CHECKING:
    from gateway.auth.passwords import Passwords
    from gateway.auth.principal import Principal
    from gateway.metrics import HttpMetrics

SETTINGS = web.AppKey("settings", Settings)
PG = web.AppKey("pg", AsyncConnectionPool)
REDIS = web.AppKey("redis", Redis)
PASSWORDS: web.AppKey[Passwords] = web.AppKey("passwords")
METRICS_REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
HTTP_METRICS: web.AppKey[HttpMetrics] = web.AppKey("http_metrics")

PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
REQUEST_ID = web.RequestKey("request_id", str)
