"""The dashboard's part of placement: an admin sees that a session waits for a free worker, and
an operator sees hosts with free and busy workers and drains one."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium import webdriver

from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant, run
from tests.support.dashboard import Dashboard
from tests.support.databases import NAMES
from tests.support.wa import seed_session
from worker.heartbeat import WorkerStatus, beat
from worker.reconciler import reconcile_once

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]


async def test_waiting_for_a_worker_and_draining_a_host(
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    make_user: MakeUser,
    pg: AsyncConnectionPool,
    redis: Redis,
    arq: ArqRedis,
) -> None:
    tenant = await make_tenant()
    session = await seed_session(pg, tenant.company.id, name="Sales")
    busy = WorkerStatus(worker_id="a-1", host="host-a", state="owning", session_id="other")
    await beat(redis, NAMES, busy)
    await beat(redis, NAMES, WorkerStatus(worker_id="b-1", host="host-b", state="owning"))
    page = Dashboard(chrome, front + "/")
    await run(page.login, tenant.admin.user.email, tenant.admin.password)
    await run(page.wait_view, "sessions")
    await run(page.wait_session_rows, 1)
    # every worker is busy: the reconciler says so, and the list shows it live
    assert await reconcile_once(arq, NAMES, pg, worker_id="w-r", period_s=1.0) == [str(session.id)]
    label = await run(page.wait_session_reason, str(session.id), "waiting_for_worker")
    assert label == "Waiting for a free worker"
    await run(page.logout)

    operator = await make_user("operator")
    await run(page.login, operator.user.email, operator.password)
    await run(page.wait_view, "ops")
    assert await run(page.host_row, "host-a") == {"free": "0", "busy": "1", "draining": "false"}
    await run(page.drain_host, "host-a")
    await run(page.wait_host_draining, "host-a", True)
    assert await redis.smembers(NAMES.draining_hosts) == {b"host-a"}  # type: ignore[misc]
    assert await run(page.console_errors) == []
