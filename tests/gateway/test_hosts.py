"""Operator routes for hosts: free and busy workers per host label, draining a host (audited,
404 for a host without live workers, 400 for a malformed label) and taking it back."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from tests.conftest import MakeCompany, MakeUser
from tests.support.databases import NAMES
from worker.heartbeat import WorkerStatus, beat

Client = TestClient[Any, Any]


async def test_hosts_are_listed_drained_and_taken_back(
    client: Client, make_user: MakeUser, redis: Redis, pg: AsyncConnectionPool
) -> None:
    operator = await make_user("operator")
    await beat(
        redis, NAMES, WorkerStatus(worker_id="a-1", host="a", state="owning", session_id="s1")
    )
    await beat(redis, NAMES, WorkerStatus(worker_id="a-2", host="a"))
    await beat(redis, NAMES, WorkerStatus(worker_id="b-1", host="b"))
    resp = await client.get("/api/ops/hosts", headers=operator.headers)
    assert resp.status == 200
    assert (await resp.json())["data"] == {
        "hosts": [
            {"host": "a", "free": 1, "busy": 1, "draining": False, "idleDraining": 0,
             "sessions": ["s1"], "moving": None},
            {"host": "b", "free": 1, "busy": 0, "draining": False, "idleDraining": 0,
             "sessions": [], "moving": None},
        ]
    }  # fmt: skip

    drained = await client.post("/api/ops/hosts/a/drain", headers=operator.headers)
    assert drained.status == 200
    assert (await drained.json())["data"] == {"host": "a", "draining": True, "message": "draining"}
    again = await client.post("/api/ops/hosts/a/drain", headers=operator.headers)
    assert (await again.json())["data"]["message"] == "already draining"
    assert await redis.smembers(NAMES.draining_hosts) == {b"a"}  # type: ignore[misc]
    listed = (await (await client.get("/api/ops/hosts", headers=operator.headers)).json())["data"]
    assert listed["hosts"][0] | {"sessions": None} == {
        "host": "a", "free": 0, "busy": 1, "draining": True, "idleDraining": 1,
        "sessions": None, "moving": None,
    }  # fmt: skip

    unknown = await client.post("/api/ops/hosts/nowhere/drain", headers=operator.headers)
    assert unknown.status == 404
    bad = await client.post("/api/ops/hosts/a%20b/drain", headers=operator.headers)
    assert bad.status == 400
    assert (await bad.json())["error"]["details"] == [{"field": "host", "message": "invalid"}]

    back = await client.delete("/api/ops/hosts/a/drain", headers=operator.headers)
    assert (await back.json())["data"] == {
        "host": "a",
        "draining": False,
        "message": "takes sessions again",
    }
    assert await redis.smembers(NAMES.draining_hosts) == set()  # type: ignore[misc]
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT action, target, user_id FROM audit_log ORDER BY id")
        rows = [(r["action"], r["target"], r["user_id"]) for r in await cur.fetchall()]
    assert rows == [("host.drain", "a", operator.id), ("host.undrain", "a", operator.id)]


async def test_hosts_are_for_operators_only(
    client: Client, make_user: MakeUser, make_company: MakeCompany
) -> None:
    admin = await make_user("admin", await make_company())
    assert (await client.get("/api/ops/hosts", headers=admin.headers)).status == 403
    assert (await client.post("/api/ops/hosts/a/drain", headers=admin.headers)).status == 403
