"""``GET /health`` (always 200: ok or degraded, per component) and ``GET /metrics``.

Health never answers 503: a dashboard that polls it must keep working while a dependency is down
(one of the earlier systems broke its UI exactly that way).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, cast

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from gateway.jsonio import dumps
from gateway.keys import METRICS_REGISTRY, NAMES, PAGE_DRIFT, PG, REDIS, WORKER_COUNTS
from gateway.routing import Router
from shared.constants import WORKER_TTL_S

router = Router("health")
CHECK_TIMEOUT_S = 1.0  # a backstop: the clients time out sooner (APP_*_TIMEOUT_S)


async def _check_postgres(request: web.Request) -> dict[str, Any]:
    started = time.perf_counter()
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        async with request.app[PG].connection(timeout=CHECK_TIMEOUT_S) as conn:
            await conn.execute("SELECT 1")
    return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def _check_redis(request: web.Request) -> dict[str, Any]:
    started = time.perf_counter()
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        await request.app[REDIS].ping()
    return {"status": "ok", "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


async def _check_workers(request: web.Request) -> dict[str, Any]:
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        index = request.app[NAMES].workers_index
        live = await request.app[REDIS].zcount(index, time.time() - WORKER_TTL_S, "+inf")
    return {"status": "ok" if live else "none", "live": int(live)}


async def _guard(name: str, check: Any, request: web.Request) -> dict[str, Any]:
    try:
        result: dict[str, Any] = await check(request)
        return result
    except Exception as exc:  # any failure of a dependency is a status, never an error
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300] or name}


@router.route(
    "GET",
    "/health",
    roles=None,
    summary="Liveness and dependency status (always 200)",
    flat=True,
)
async def health(request: web.Request) -> web.Response:
    pg, redis, workers = await asyncio.gather(
        _guard("postgres", _check_postgres, request),
        _guard("redis", _check_redis, request),
        _guard("workers", _check_workers, request),
    )
    if redis["status"] == "down":
        workers = {"status": "unknown", "live": None}
    problems = [n for n, c in (("postgres", pg), ("redis", redis)) if c["status"] != "ok"]
    if workers["status"] == "none":
        problems.append("workers")
    status = "degraded" if problems else "ok"
    message = "all components ok" if not problems else "degraded: " + ", ".join(problems)
    body = {
        "status": status,
        "message": message,
        "components": {"postgres": pg, "redis": redis, "workers": workers},
    }
    headers = {"Cache-Control": "no-store"}
    return web.json_response(body, status=200, dumps=dumps, headers=headers)


@router.route(
    "GET",
    "/metrics",
    roles=None,
    summary=(
        "Prometheus metrics (text format), with wa_page_unparsed_total{kind} and"
        " wa_browser_recycles_total from Redis"
    ),
    media="text/plain",
)
async def metrics(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            # redis-py types hgetall for both clients; on the asyncio one it is awaitable
            read = cast(
                "Awaitable[dict[bytes, bytes]]",
                request.app[REDIS].hgetall(request.app[NAMES].drift_counts),
            )
            drift: dict[bytes, bytes] | None = await read
            read = cast(
                "Awaitable[dict[bytes, bytes]]",
                request.app[REDIS].hgetall(request.app[NAMES].worker_counters),
            )
            counters: dict[bytes, bytes] | None = await read
    except (RedisError, OSError, TimeoutError):  # the other metrics still answer (/health: why)
        drift = counters = None
    request.app[PAGE_DRIFT].update(drift)
    request.app[WORKER_COUNTS].update(counters)
    payload = generate_latest(request.app[METRICS_REGISTRY])
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
