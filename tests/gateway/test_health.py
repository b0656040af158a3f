"""/health stays 200 and reports degraded while Postgres or Redis is unreachable; /metrics works."""

from __future__ import annotations

import time
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared.db.repos import sessions
from shared.settings import Settings
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.tcp_proxy import TcpProxy
from tests.support.wa import seed_session
from worker.heartbeat import WorkerStatus, beat

Client = TestClient[Any, Any]


async def _health(client: Client) -> dict[str, Any]:
    resp = await client.get("/health")
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await resp.json()
    return body


async def test_ok_with_everything_up(proxied_client: Client, redis: Redis) -> None:
    await beat(redis, NAMES, WorkerStatus(worker_id="w1", host="h1"))
    await beat(redis, NAMES, WorkerStatus(worker_id="w2", host="h1", state="owning"))
    await beat(redis, NAMES, WorkerStatus(worker_id="w3", host="h2", state="owning"))
    await redis.sadd(NAMES.draining_hosts, "h2")  # type: ignore[misc]
    body = await _health(proxied_client)
    assert body["status"] == "ok"
    comps = body["components"]
    assert comps["postgres"]["status"] == comps["redis"]["status"] == "ok"
    assert comps["workers"] == {
        "status": "ok",
        "live": 3,
        "free": 1,
        "busy": 2,
        "hosts": {
            "h1": {"free": 1, "busy": 1, "draining": False},
            "h2": {"free": 0, "busy": 1, "draining": True},
        },
    }


async def test_no_live_worker_is_degraded(proxied_client: Client, redis: Redis) -> None:
    await redis.zadd(NAMES.workers_index, {"stale": time.time() - 3600})
    body = await _health(proxied_client)
    assert body["status"] == "degraded"
    assert body["components"]["workers"] == {
        "status": "none",
        "live": 0,
        "free": 0,
        "busy": 0,
        "hosts": {},
    }


async def test_degraded_while_redis_unreachable(
    proxied_client: Client, proxies: tuple[TcpProxy, TcpProxy], redis: Redis
) -> None:
    await redis.zadd(NAMES.workers_index, {"w1": time.time()})
    _, rd = proxies
    await rd.cut()
    body = await _health(proxied_client)
    assert body["status"] == "degraded"
    assert body["components"]["redis"]["status"] == "down"
    assert body["components"]["postgres"]["status"] == "ok"
    assert "redis" in body["message"]
    await rd.restore()
    assert (await _health(proxied_client))["status"] == "ok"


async def test_degraded_while_postgres_unreachable(
    proxied_client: Client, proxies: tuple[TcpProxy, TcpProxy], redis: Redis
) -> None:
    await redis.zadd(NAMES.workers_index, {"w1": time.time()})
    pg, _ = proxies
    await pg.cut()
    started = time.monotonic()
    body = await _health(proxied_client)
    assert time.monotonic() - started < 5  # bounded by the check timeout, never a hang
    assert body["status"] == "degraded"
    assert body["components"]["postgres"]["status"] == "down"
    assert body["components"]["redis"]["status"] == "ok"
    await pg.restore()
    for _ in range(50):  # the pool reconnects on its own
        if (await _health(proxied_client))["status"] == "ok":
            break
    assert (await _health(proxied_client))["status"] == "ok"


async def test_gateway_starts_with_postgres_down(settings: Settings, redis: Redis) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/x"})
    async with TestClient(TestServer(create_app(down))) as c:
        body = await _health(c)
        assert body["components"]["postgres"]["status"] == "down"
        login = await c.post("/api/auth/login", json={"email": "a@b.test", "password": "x"})
        assert login.status == 503
        assert (await login.json())["error"]["message"] == "database unavailable, try again"


async def test_metrics_are_prometheus_text(client: Client) -> None:
    await client.get("/health")
    resp = await client.get("/metrics")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/plain")
    text = await resp.text()
    assert 'gateway_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert "wa_browser_recycles_total 0.0" in text  # shown before any worker counted one


async def test_browser_recycles_are_on_metrics(client: Client, redis: Redis) -> None:
    """Workers count memory recycles in Redis (worker/recycle.py); /metrics shows the sum."""
    await redis.hincrby(NAMES.worker_counters, "browser_recycles", 3)  # type: ignore[misc]
    await redis.hset(NAMES.worker_counters, "not_a_counter_we_know", "x")  # type: ignore[misc]
    text = await (await client.get("/metrics")).text()
    assert "wa_browser_recycles_total 3.0" in text and "not_a_counter" not in text


async def test_metrics_count_workers_per_host_and_refused_writes(
    client: Client, redis: Redis, pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    await beat(redis, NAMES, WorkerStatus(worker_id="w1", host="h1"))
    await beat(redis, NAMES, WorkerStatus(worker_id="w2", host="h1", state="owning"))
    await beat(redis, NAMES, WorkerStatus(worker_id="w3", host="h2"))
    await redis.sadd(NAMES.draining_hosts, "h2")  # type: ignore[misc]
    session = await seed_session(pg, (await make_company()).id)
    async with pg.connection() as conn:
        for _ in range(2):
            await sessions.worker_record_refusal(
                conn, session_id=session.id, worker_id="w9", token=1
            )
    text = await (await client.get("/metrics")).text()
    for line in (
        'wa_workers{host="h1",state="free"} 1.0',
        'wa_workers{host="h1",state="busy"} 1.0',
        'wa_workers{host="h2",state="free"} 0.0',
        'wa_workers{host="h2",state="draining"} 1.0',
        "wa_fence_refused_total 2.0",
    ):
        assert line in text, line


async def test_metrics_answer_while_redis_is_unreachable(
    proxied_client: Client, proxies: tuple[TcpProxy, TcpProxy], redis: Redis
) -> None:
    await redis.hincrby(NAMES.drift_counts, "row_unparsed", 2)  # type: ignore[misc]
    before = await (await proxied_client.get("/metrics")).text()
    assert 'wa_page_unparsed_total{kind="row_unparsed"} 2.0' in before
    _, rd = proxies
    await rd.cut()
    resp = await proxied_client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    assert "gateway_http_requests_total" in text and "wa_page_unparsed_total{" not in text
    await rd.restore()
    after = await (await proxied_client.get("/metrics")).text()
    assert 'wa_page_unparsed_total{kind="row_unparsed"} 2.0' in after


async def test_snapshot_failures_are_on_metrics(client: Client, redis: Redis) -> None:
    await redis.hincrby(NAMES.snapshot_failures, "decrypt_failed", 1)  # type: ignore[misc]
    await redis.hincrby(NAMES.snapshot_failures, "too_large", 3)  # type: ignore[misc]
    text = await (await client.get("/metrics")).text()
    assert "# TYPE wa_snapshot_failures_total counter" in text
    assert 'wa_snapshot_failures_total{reason="decrypt_failed"} 1.0' in text
    assert 'wa_snapshot_failures_total{reason="too_large"} 3.0' in text
