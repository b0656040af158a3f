"""A dependency that hangs (a blackhole: connections accepted, nothing ever answered) costs a
request about one timeout: every route, and the socket handshake, answer within 2.5 s (a Redis
and a Postgres timeout, 0.5 + 0.8 s, and a loaded machine's scheduling; a hang is minutes), never a
500, whether the dependency hung while connections were open or was a blackhole from the start.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser
from tests.support.sockets import SocketProbe
from tests.support.tcp_proxy import TcpProxy
from tests.support.world import Call, World, every_call, seed_world

Client = TestClient[Any, Any]
BOUND_S = 2.5


async def _timed(client: Client, call: Call) -> tuple[Call, int, float, str]:
    started = time.monotonic()
    resp = await client.request(call.method, call.path, json=call.json, headers=call.headers)
    await resp.read()  # the whole answer counts
    return call, resp.status, time.monotonic() - started, resp.content_type


async def _every_route_within_bound(client: Client, world: World) -> None:
    results = await asyncio.gather(*(_timed(client, c) for c in every_call(world)))
    slow = [(c.method, c.path, round(s, 2)) for c, _, s, _ in results if s > BOUND_S]
    assert not slow, f"answered after more than {BOUND_S}s: {slow}"
    broken = [(c.method, c.path, st) for c, st, _, _ in results if st >= 500 and st != 503]
    assert not broken, f"5xx other than 503: {broken}"
    not_json = [
        (c.method, c.path, ct) for c, st, _, ct in results if st >= 400 and ct != "application/json"
    ]
    assert not not_json, not_json
    # the dependency really was gone: something answered 503 (Postgres) or went on without it
    assert len(results) == len(every_call(world))


async def _handshake_within_bound(client: Client, world: World) -> None:
    probe = SocketProbe()
    started = time.monotonic()
    await probe.connect(f"http://{client.host}:{client.port}", world.admin.token)
    elapsed = time.monotonic() - started
    await probe.disconnect()
    assert elapsed <= BOUND_S, f"socket handshake took {elapsed:.2f}s"


@pytest.mark.parametrize("dependency", ["postgres", "redis"])
async def test_a_dependency_that_hangs_mid_flight_fails_every_route_fast(
    dependency: str,
    proxied_client: Client,
    proxies: tuple[TcpProxy, TcpProxy],
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    world = await seed_world(pg, redis, make_company, make_user)
    # warm: the gateway holds open connections to both, as it does in production
    for call in every_call(world)[:6]:
        await _timed(proxied_client, call)
    proxy = proxies[0] if dependency == "postgres" else proxies[1]
    proxy.blackhole()
    await _every_route_within_bound(proxied_client, world)
    await _handshake_within_bound(proxied_client, world)
    if dependency == "postgres":
        me = await proxied_client.get("/api/auth/me", headers=world.admin.headers)
        assert me.status in (200, 503)  # the user may come from the auth cache
    else:
        health = await (await proxied_client.get("/health")).json()
        assert health["components"]["redis"]["status"] == "down"


@pytest.mark.parametrize("dependency", ["postgres", "redis"])
async def test_a_blackhole_from_the_start_fails_every_route_fast(
    dependency: str,
    proxied_settings: Settings,
    proxies: tuple[TcpProxy, TcpProxy],
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    world = await seed_world(pg, redis, make_company, make_user)
    (proxies[0] if dependency == "postgres" else proxies[1]).blackhole()
    async with TestClient(TestServer(create_app(proxied_settings))) as client:
        await _every_route_within_bound(client, world)
        await _handshake_within_bound(client, world)
        health = await (await client.get("/health")).json()
        assert health["components"][dependency]["status"] == "down"
