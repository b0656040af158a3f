"""Operator routes: workers from heartbeats (alive or gone), restart over the control channel
(404 for unknown workers, audited), sessions across companies without any contents."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import sessions, snapshots
from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.wa import hold_lease, seed_chat, seed_session
from worker.heartbeat import WorkerStatus, beat

Client = TestClient[Any, Any]


async def test_workers_are_listed_from_heartbeats(
    client: Client, make_user: MakeUser, redis: Redis
) -> None:
    operator = await make_user("operator")
    status = WorkerStatus(worker_id="w-1", state="owning", session_id="s-1", browser_pss_mb=212.5)
    await beat(redis, NAMES, status)
    await beat(redis, NAMES, WorkerStatus(worker_id="w-2"))
    await redis.zadd(NAMES.workers_index, {"w-gone": time.time() - 600})  # its hash expired
    resp = await client.get("/api/ops/workers", headers=operator.headers)
    assert resp.status == 200
    workers = {w["id"]: w for w in (await resp.json())["data"]["workers"]}
    assert set(workers) == {"w-1", "w-2", "w-gone"}
    one = workers["w-1"]
    assert one["alive"] is True and one["state"] == "owning" and one["sessionId"] == "s-1"
    assert one["browserPssMb"] == 212.5 and one["pid"] > 0 and one["host"]
    assert one["heartbeatAt"] and one["startedAt"]
    assert workers["w-2"]["alive"] is True and workers["w-2"]["sessionId"] is None
    assert workers["w-gone"]["alive"] is False and workers["w-gone"]["state"] == "gone"


async def test_restart_publishes_on_the_control_channel(
    client: Client, make_user: MakeUser, redis: Redis, pg: AsyncConnectionPool
) -> None:
    operator = await make_user("operator")
    await beat(redis, NAMES, WorkerStatus(worker_id="w-1"))
    pubsub = redis.pubsub()
    await pubsub.subscribe(NAMES.ctl_channel("w-1"))
    resp = await client.post("/api/ops/workers/w-1/restart", headers=operator.headers)
    assert resp.status == 200
    data = (await resp.json())["data"]
    assert data == {
        "workerId": "w-1",
        "requested": True,
        "receivers": 1,
        "message": "restart requested",
    }
    async with asyncio.timeout(5):
        while (msg := await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)) is None:
            pass
    assert msg["data"] == b"restart"
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    missing = await client.post("/api/ops/workers/w-404/restart", headers=operator.headers)
    assert missing.status == 404
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT action, target, user_id FROM audit_log")
        rows = [(r["action"], r["target"], r["user_id"]) for r in await cur.fetchall()]
    assert rows == [("worker.restart", "w-1", operator.id)]


async def test_sessions_across_companies_without_contents(
    client: Client,
    make_user: MakeUser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    operator = await make_user("operator")
    a, b = await make_tenant(), await make_tenant()
    one = await seed_session(pg, a.company.id, state="ready", phone="79990001122")
    two = await seed_session(pg, b.company.id, state="qr", qr="2@secret-ref")
    await seed_chat(pg, one.id, "1@c.us", name="Private Person", preview="secret text")
    await hold_lease(redis, one.id, "w-9")
    resp = await client.get("/api/ops/sessions", headers=operator.headers)
    assert resp.status == 200
    got = {s["id"]: s for s in (await resp.json())["data"]["sessions"]}
    assert set(got) == {str(one.id), str(two.id)}
    assert got[str(one.id)]["companyName"] == a.company.name
    assert got[str(one.id)]["leaseHolder"] == "w-9" and got[str(two.id)]["leaseHolder"] is None
    assert got[str(two.id)]["state"] == "qr"
    assert got[str(two.id)]["bridge"] is None  # no worker ran it yet
    async with pg.connection() as conn:
        await sessions.worker_set_bridge(conn, session_id=one.id, bridge="module")
    again = await client.get("/api/ops/sessions", headers=operator.headers)
    by_id = {s["id"]: s for s in (await again.json())["data"]["sessions"]}
    assert by_id[str(one.id)]["bridge"] == "module"
    assert by_id[str(one.id)]["snapshot"] is None
    async with pg.connection() as conn:
        for _ in range(2):
            await snapshots.insert(
                conn,
                session_id=one.id,
                size_bytes=1000,
                sha256="0" * 64,
                key_id="k1",
                worker_id="w-9",
                data=b"sealed",
                stored_bytes=6,
            )
        newest = (await snapshots.good(conn, session_id=one.id, limit=1))[0]
        await snapshots.refuse(conn, snapshot_id=newest.id, reason="hash_mismatch")
    third = await client.get("/api/ops/sessions", headers=operator.headers)
    snap = {s["id"]: s for s in (await third.json())["data"]["sessions"]}[str(one.id)]["snapshot"]
    assert {k: v for k, v in snap.items() if not k.endswith("At") and k != "at"} == {
        "generation": 1,
        "sizeBytes": 1000,
        "storedBytes": 6,
        "good": 1,
        "refused": 1,
        "lastRefusedReason": "hash_mismatch",
    }
    assert snap["at"] and snap["lastRefusedAt"]
    text = await resp.text()
    for private in ("79990001122", "secret", "Private Person", "2@secret-ref"):
        assert private not in text
    for account in (a.admin, a.manager):
        assert (await client.get("/api/ops/sessions", headers=account.headers)).status == 403
