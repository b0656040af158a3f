"""``GET /health`` (always 200: ok or degraded, per component) and ``GET /metrics``.

Health never answers 503: a dashboard that polls it must keep working while a dependency is down
(one of the earlier systems broke its UI exactly that way).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from gateway.jsonio import dumps
from gateway.keys import (
    CAPACITY,
    MEDIA_DOWNLOADS,
    METRICS_REGISTRY,
    NAMES,
    PAGE_DRIFT,
    PG,
    REDIS,
    SNAPSHOT_FAILURES,
    WORKER_COUNTS,
)
from gateway.routing import Router
from shared.constants import WORKER_TTL_S
from shared.db.repos import sessions
from shared.fleet import Fleet, read_fleet

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
    """Live workers (heartbeat within the TTL); free and busy ones, in all and per host."""
    redis, names = request.app[REDIS], request.app[NAMES]
    async with asyncio.timeout(CHECK_TIMEOUT_S):
        live = await redis.zcount(names.workers_index, time.time() - WORKER_TTL_S, "+inf")
        fleet = await read_fleet(redis, names)
    hosts = {
        h.host: {"free": h.free, "busy": h.busy, "draining": h.draining}
        for h in fleet.hosts().values()
    }
    return {
        "status": "ok" if live else "none",
        "live": int(live),
        "free": fleet.free,
        "busy": fleet.busy,
        "hosts": hosts,
    }


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
        workers = {"status": "unknown", "live": None, "free": None, "busy": None, "hosts": {}}
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


async def _fleet(request: web.Request) -> Fleet | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return await read_fleet(request.app[REDIS], request.app[NAMES])
    except (RedisError, OSError, TimeoutError):
        return None


async def _refusals(request: web.Request) -> int | None:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            async with request.app[PG].connection(timeout=CHECK_TIMEOUT_S) as conn:
                return await sessions.count_fence_refusals(conn)
    except Exception:  # Postgres away: the other metrics still answer (/health says why)
        return None


@router.route(
    "GET",
    "/metrics",
    roles=None,
    summary="Prometheus metrics (text format), with wa_page_unparsed_total{kind},"
    " wa_media_downloads_total{outcome}, wa_snapshot_failures_total{reason},"
    " wa_browser_recycles_total and wa_workers{host,state} from Redis, wa_fence_refused_total"
    " from Postgres",
    media="text/plain",
)
async def metrics(request: web.Request) -> web.Response:
    names = request.app[NAMES]
    counts: list[dict[bytes, bytes]] | None
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            async with request.app[REDIS].pipeline(transaction=False) as pipe:
                pipe.hgetall(names.drift_counts)
                pipe.hgetall(names.snapshot_failures)
                pipe.hgetall(names.media_counts)
                pipe.hgetall(names.worker_counters)
                counts = await pipe.execute()
    except (RedisError, OSError, TimeoutError):  # the other metrics still answer (/health: why)
        counts = None
    request.app[PAGE_DRIFT].update(counts[0] if counts else None)
    request.app[SNAPSHOT_FAILURES].update(counts[1] if counts else None)
    request.app[MEDIA_DOWNLOADS].update(counts[2] if counts else None)
    request.app[WORKER_COUNTS].update(counts[3] if counts else None)
    request.app[CAPACITY].update(await _fleet(request), await _refusals(request))
    payload = generate_latest(request.app[METRICS_REGISTRY])
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})
