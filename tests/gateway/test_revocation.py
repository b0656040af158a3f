"""Revocation is at once, on every gateway: a deleted or disabled user's token is refused and
their sockets are closed as the change is made (pushed through Redis, not waiting for an auth
cache); a socket is closed when its token expires; while a gateway cannot hear the notices it
does not use its auth cache at all."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.auth.tokens import issue_token
from gateway.keys import USER_CACHE
from shared.db.repos import users
from shared.settings import Settings
from tests.conftest import Account, MakeCompany, MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.gateways import wait_until_listening
from tests.support.sockets import SocketProbe
from tests.support.tcp_proxy import TcpProxy

Client = TestClient[Any, Any]


def _url(client: Client) -> str:
    return str(client.make_url("")).rstrip("/")


@pytest.fixture
async def second(settings: Settings, client: Client) -> AsyncIterator[Client]:
    """Another gateway of the same deployment (so two processes' caches and sockets)."""
    async with TestClient(TestServer(create_app(settings))) as c:
        await wait_until_listening(c.app)
        yield c


async def _socket(client: Client, account: Account) -> SocketProbe:
    probe = SocketProbe()
    assert await probe.connect(_url(client), account.token), probe.refused
    await probe.wait_for("connection-confirmed")
    return probe


async def _warm(client: Client, account: Account) -> None:
    """The gateway has the user in its auth cache now."""
    assert (await client.get("/api/whatsapp/sessions", headers=account.headers)).status == 200
    assert client.app[USER_CACHE].get(account.id) is not None


async def test_a_deleted_manager_is_refused_and_disconnected_at_once_everywhere(
    client: Client, second: Client, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    await _warm(client, t.manager)
    await _warm(second, t.manager)
    sockets = [await _socket(client, t.manager), await _socket(second, t.manager)]
    resp = await client.delete(f"/api/managers/{t.manager.id}", headers=t.admin.headers)
    assert resp.status == 200
    for gw in (client, second):  # no waiting for any cache to expire
        me = await gw.get("/api/whatsapp/sessions", headers=t.manager.headers)
        assert me.status == 401
    for probe in sockets:
        closed = await probe.wait_for("connection-closed", timeout_s=2)
        assert closed == [{"reason": "user_gone", "reconnect": False}]
        await probe.quiet(0.2)
        assert not probe.client.connected
    admin_socket = await _socket(second, t.admin)  # others are untouched
    assert admin_socket.client.connected
    await admin_socket.disconnect()


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APP_MODE": "test",
        "APP_DATABASE_URL": settings.database_url,
        "APP_REDIS_URL": settings.redis_url,
        "APP_REDIS_PREFIX": settings.redis_prefix,
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_disable_user_from_the_cli_takes_effect_at_once(
    client: Client, second: Client, settings: Settings, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    await _warm(client, t.admin)
    await _warm(second, t.admin)
    probe = await _socket(second, t.admin)
    done = await asyncio.to_thread(_cli, settings, "disable-user", "--email", t.admin.user.email)
    assert done.returncode == 0, done.stderr
    assert "gateways told=2" in done.stdout
    closed = await probe.wait_for("connection-closed", timeout_s=2)
    assert closed[0]["reason"] == "user_gone"
    for gw in (client, second):
        assert (await gw.get("/api/managers", headers=t.admin.headers)).status == 401
    enabled = await asyncio.to_thread(_cli, settings, "enable-user", "--email", t.admin.user.email)
    assert enabled.returncode == 0, enabled.stderr
    assert (await client.get("/api/managers", headers=t.admin.headers)).status == 200


async def test_a_socket_is_closed_when_its_token_expires(
    client: Client, settings: Settings, make_company: MakeCompany, make_user: MakeUser
) -> None:
    account = await make_user("admin", await make_company())
    short, _ = issue_token(settings.model_copy(update={"jwt_ttl_s": 2}), account.user)
    probe = SocketProbe()
    assert await probe.connect(_url(client), short), probe.refused
    await probe.wait_for("connection-confirmed")
    closed = await probe.wait_for("connection-closed", timeout_s=5)
    assert closed == [{"reason": "token_expired", "reconnect": False}]
    await probe.quiet(0.2)
    assert not probe.client.connected
    # and the same token cannot connect again
    again = SocketProbe()
    assert not await again.connect(_url(client), short)
    assert again.refused == {"message": "token expired"}


async def test_while_notices_cannot_arrive_the_auth_cache_is_not_used(
    proxied_client: Client,
    proxies: tuple[TcpProxy, TcpProxy],
    pg: AsyncConnectionPool,
    make_company: MakeCompany,
    make_user: MakeUser,
    redis: Redis,
) -> None:
    account = await make_user("admin", await make_company())
    await _warm(proxied_client, account)
    await proxies[1].cut()  # Redis gone: the relay loses its subscription
    cache = proxied_client.app[USER_CACHE]
    async with asyncio.timeout(5):
        while cache.trusted:  # noqa: ASYNC110 (a flag the relay task clears)
            await asyncio.sleep(0.01)
    async with pg.connection() as conn:  # behind the gateways' back: no notice possible
        await users.set_disabled(
            conn, company_id=account.user.company_id, user_id=account.id, disabled=True
        )
    resp = await proxied_client.get("/api/managers", headers=account.headers)
    assert resp.status == 401
    await proxies[1].restore()
    await wait_until_listening(proxied_client.app)
