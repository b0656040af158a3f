"""start / stop / restart / disconnect: the desired state, the job sent (only to a held
session), the state written when no worker holds it, the event published, the audit entry."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import audit, sessions
from shared.db.types import WaSession
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.wa import hold_lease, queued, seed_session

Client = TestClient[Any, Any]


async def _row(pg: AsyncConnectionPool, t: Tenant, session: WaSession) -> WaSession:
    async with pg.connection() as conn:
        row = await sessions.get(conn, company_id=t.company.id, session_id=session.id)
    assert row is not None
    return row


async def _last_action(pg: AsyncConnectionPool, t: Tenant) -> tuple[str, str | None]:
    async with pg.connection() as conn:
        entry = (await audit.list_for_company(conn, company_id=t.company.id))[0]
    return entry.action, entry.target


async def _post(client: Client, t: Tenant, session: WaSession, command: str) -> dict[str, Any]:
    resp = await client.post(
        f"/api/whatsapp/sessions/{session.id}/{command}", headers=t.admin.headers
    )
    assert resp.status == 200, await resp.text()
    data: dict[str, Any] = (await resp.json())["data"]
    return data


async def test_start_sets_running_and_queues_start_once(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="stopped", desired="stopped")
    first = await _post(client, t, session, "start")
    await _post(client, t, session, "start")
    assert first["desiredState"] == "running" and first["queued"] == "start_session"
    assert (await _row(pg, t, session)).desired_state == "running"
    jobs = await arq.queued_jobs(queue_name=NAMES.pool_queue)
    assert [j.job_id for j in jobs] == [NAMES.start_job_id(str(session.id))]  # arq dedups by id
    assert await _last_action(pg, t) == ("session.start", str(session.id))


async def test_stop_held_session_sends_stop(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, redis: Redis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    await hold_lease(redis, session.id)
    data = await _post(client, t, session, "stop")
    assert data["queued"] == "stop" and data["desiredState"] == "stopped"
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("stop", {"session_id": str(session.id), "reason": "stopped_by_admin"})
    ]
    row = await _row(pg, t, session)
    assert row.desired_state == "stopped" and row.state == "ready"  # the worker writes it
    assert await _last_action(pg, t) == ("session.stop", str(session.id))


async def test_stop_unheld_session_writes_stopped_and_publishes(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, redis: Redis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr", qr="2@ref")
    pubsub = redis.pubsub()
    await pubsub.subscribe(NAMES.events_channel)
    data = await _post(client, t, session, "stop")
    assert data["queued"] is None and data["state"] == "stopped"
    row = await _row(pg, t, session)
    assert (row.state, row.state_reason, row.desired_state) == (
        "stopped",
        "stopped_by_admin",
        "stopped",
    )
    assert row.qr_payload is None and row.worker_id is None
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []
    event = await _next_message(pubsub)
    assert event["type"] == "state" and event["sessionId"] == str(session.id)
    assert event["data"] == {
        "state": "stopped",
        "previous": "qr",
        "reason": "stopped_by_admin",
        "detail": None,
    }
    await pubsub.aclose()  # type: ignore[no-untyped-call]


async def _next_message(pubsub: Any) -> dict[str, Any]:
    async with asyncio.timeout(5):
        while True:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if msg is not None:
                parsed: dict[str, Any] = json.loads(msg["data"])
                return parsed


async def test_restart_held_sends_restart_unheld_queues_start(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, redis: Redis
) -> None:
    t = await make_tenant()
    held = await seed_session(pg, t.company.id, name="held", state="ready")
    free = await seed_session(pg, t.company.id, name="free", state="stopped", desired="stopped")
    await hold_lease(redis, held.id)
    assert (await _post(client, t, held, "restart"))["queued"] == "restart"
    assert [f for f, _ in await queued(arq, NAMES.session_queue(str(held.id)))] == ["restart"]
    assert (await _post(client, t, free, "restart"))["queued"] == "start_session"
    assert [j.job_id for j in await arq.queued_jobs(queue_name=NAMES.pool_queue)] == [
        NAMES.start_job_id(str(free.id))
    ]
    assert (await _row(pg, t, free)).desired_state == "running"
    assert await _last_action(pg, t) == ("session.restart", str(free.id))


async def test_disconnect_held_sends_logout(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, redis: Redis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready", phone="79990001122")
    await hold_lease(redis, session.id)
    data = await _post(client, t, session, "disconnect")
    assert data["queued"] == "logout"
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("logout", {"session_id": str(session.id), "reason": "disconnected_by_admin"})
    ]
    assert (await _row(pg, t, session)).desired_state == "stopped"


async def test_disconnect_unheld_writes_stopped_and_forgets_the_phone(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(
        pg, t.company.id, state="disconnected", phone="79990001122", display_name="Shop"
    )
    data = await _post(client, t, session, "disconnect")
    assert data["queued"] is None
    row = await _row(pg, t, session)
    assert (row.state, row.state_reason, row.phone, row.display_name) == (
        "stopped",
        "disconnected_by_admin",
        None,
        None,
    )
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []
    assert await _last_action(pg, t) == ("session.disconnect", str(session.id))


async def test_commands_are_admin_only_and_tenant_scoped(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    a, b = await make_tenant(), await make_tenant()
    session = await seed_session(pg, a.company.id)
    for command in ("start", "stop", "restart", "disconnect"):
        url = f"/api/whatsapp/sessions/{session.id}/{command}"
        assert (await client.post(url, headers=a.manager.headers)).status == 403
        assert (await client.post(url, headers=b.admin.headers)).status == 404
