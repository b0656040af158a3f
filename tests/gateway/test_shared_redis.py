"""Two deployments on one Redis (same server, same DB number, even the same Postgres, so that a
crossed wake-up would deliver) with different ``APP_REDIS_PREFIX``: zero events cross, and
neither sees the other's queues, notices, heartbeats or login counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.keys import ARQ
from shared import events
from shared.constants import RedisNames
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeCompany, MakeUser
from tests.support.eventlog import log_only
from tests.support.gateways import wait_until_listening
from tests.support.sockets import SocketProbe
from tests.support.wa import queued, seed_session
from worker.heartbeat import WorkerStatus, beat

Client = TestClient[Any, Any]
ROUNDS = 20


@dataclass
class Deployment:
    names: RedisNames
    client: Client
    probe: SocketProbe

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@pytest.fixture
async def deployments(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[list[Deployment]]:
    async with AsyncExitStack() as stack:
        made = []
        for prefix in ("acme", "globex"):
            # no polling of the (shared) log: only its own channel's messages wake a relay
            own = settings.model_copy(update={"redis_prefix": prefix, "event_poll_s": 60})
            client = await stack.enter_async_context(TestClient(TestServer(create_app(own))))
            await wait_until_listening(client.app)
            made.append(Deployment(RedisNames.of(own), client, SocketProbe()))
        yield made
        for d in made:
            await d.probe.disconnect()


def _state(session: Any, reason: str) -> events.StateEvent:
    return events.StateEvent(
        session_id=session.id,
        company_id=session.company_id,
        data=events.StateData(state=SessionState.READY, previous=SessionState.QR, reason=reason),
    )


async def test_zero_events_cross_between_deployments(
    deployments: list[Deployment],
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    company = await make_company()
    admin = await make_user("admin", company)
    session = await seed_session(pg, company.id)
    for d in deployments:
        assert await d.probe.connect(d.url, admin.token), d.probe.refused
        await d.probe.wait_for("connection-confirmed")
    acme, globex = deployments
    for i in range(ROUNDS):
        [logged] = await log_only(pg, _state(session, f"acme-{i}"))
        # one subscriber: acme's own relay, nobody else's
        assert await redis.publish(acme.names.events_channel, events.encode(logged)) == 1
    live = await acme.probe.wait_for("whatsapp:state", count=ROUNDS + 1)  # + the replay
    reasons = [s["reason"] for s in acme.probe.of("whatsapp:state") if not s.get("replay")]
    assert reasons == [f"acme-{i}" for i in range(ROUNDS)], live
    await globex.probe.quiet()
    assert [s for s in globex.probe.of("whatsapp:state") if not s.get("replay")] == []


async def test_queues_notices_heartbeats_and_login_counts_stay_apart(
    deployments: list[Deployment],
    settings: Settings,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    acme, globex = deployments
    company = await make_company()
    admin = await make_user("admin", company)
    operator = await make_user("operator")
    created = await acme.client.post(
        "/api/whatsapp/sessions", json={"name": "Sales"}, headers=admin.headers
    )
    assert created.status == 201
    assert [f for f, _ in await queued(acme.client.app[ARQ], acme.names.pool_queue)] == [
        "start_session"
    ]
    assert await queued(acme.client.app[ARQ], globex.names.pool_queue) == []
    # a notice of one deployment reaches its own gateway only
    for d in deployments:
        numsub = await redis.pubsub_numsub(d.names.access_channel)
        assert numsub == [(d.names.access_channel.encode(), 1)]
    # a worker of one deployment is not another's
    await beat(redis, acme.names, WorkerStatus(worker_id="w-acme"))
    for d, expected in ((acme, ["w-acme"]), (globex, [])):
        resp = await d.client.get("/api/ops/workers", headers=operator.headers)
        assert [w["id"] for w in (await resp.json())["data"]["workers"]] == expected
    # failed logins on one deployment do not block the same email on the other
    body = {"email": admin.user.email, "password": "wrong"}
    for _ in range(settings.login_attempts):
        await acme.client.post("/api/auth/login", json=body)
    right = {"email": admin.user.email, "password": admin.password}
    assert (await acme.client.post("/api/auth/login", json=right)).status == 429
    assert (await globex.client.post("/api/auth/login", json=right)).status == 200
