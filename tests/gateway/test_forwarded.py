"""The client address: forwarding headers are believed only from APP_TRUSTED_PROXIES, the
right-most untrusted hop is the client; login limits per email + address and per address."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import Mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.forwarded import client
from gateway.keys import TRUSTED_PROXIES
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser
from tests.support.gateways import GatewayTestServer, wait_until_listening

Client = TestClient[Any, Any]
NGINX = "10.0.0.5"


def _request(peer: str, headers: dict[str, str], trusted: str = f"{NGINX},192.168.0.0/16") -> Any:
    app = web.Application()
    app[TRUSTED_PROXIES] = Settings(mode="test", trusted_proxies=trusted).trusted_proxy_networks
    transport = Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default
    )
    return make_mocked_request("GET", "/", headers=headers, app=app, transport=transport)


@pytest.mark.parametrize(
    ("peer", "headers", "address"),
    [
        # a client talking to the gateway directly: its headers are its own inventions
        ("203.0.113.9", {"X-Forwarded-For": "1.2.3.4"}, "203.0.113.9"),
        ("203.0.113.9", {"X-Real-IP": "1.2.3.4"}, "203.0.113.9"),
        # through nginx: the hop nginx appended
        (NGINX, {"X-Forwarded-For": "198.51.100.7"}, "198.51.100.7"),
        (NGINX, {"X-Real-IP": "198.51.100.7"}, "198.51.100.7"),
        # whatever the client wrote to the left of it is not believed
        (NGINX, {"X-Forwarded-For": "1.2.3.4, 198.51.100.7"}, "198.51.100.7"),
        # another trusted proxy in front of nginx is skipped
        (NGINX, {"X-Forwarded-For": "198.51.100.7, 192.168.1.1"}, "198.51.100.7"),
        (NGINX, {"X-Forwarded-For": "198.51.100.7", "X-Real-IP": "9.9.9.9"}, "198.51.100.7"),
        # garbage from a trusted proxy: the proxy itself is the best we know
        (NGINX, {"X-Forwarded-For": "not-an-ip"}, NGINX),
        (NGINX, {"X-Forwarded-For": "198.51.100.7, x"}, NGINX),
        (NGINX, {}, NGINX),
        (NGINX, {"X-Forwarded-For": "2001:DB8::0001"}, "2001:db8::1"),
    ],
)
def test_the_client_address(peer: str, headers: dict[str, str], address: str) -> None:
    assert client(_request(peer, headers)).address == address


def test_forwarded_scheme_and_host_only_from_a_trusted_proxy() -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wa.example"}
    direct = client(_request("203.0.113.9", forwarded))
    assert (direct.scheme, direct.host) != ("https", "wa.example")
    proxied = client(_request(NGINX, forwarded))
    assert (proxied.scheme, proxied.host) == ("https", "wa.example")
    odd = client(_request(NGINX, {"X-Forwarded-Proto": "gopher"}))
    assert odd.scheme == "http"


def test_a_bad_trusted_proxy_entry_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        Settings(mode="test", trusted_proxies="10.0.0.1, 10.0.0.300")
    nets = Settings(
        mode="test", trusted_proxies=" 10.0.0.1 ,172.16.0.0/12,::1"
    ).trusted_proxy_networks
    assert nets == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("172.16.0.0/12"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.fixture
async def behind_proxy(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[Client]:
    """A gateway whose peer (the test client, 127.0.0.1) is its trusted proxy."""
    proxied = settings.model_copy(
        update={"trusted_proxies": "127.0.0.1", "login_attempts_per_address": 4}
    )
    async with TestClient(GatewayTestServer(create_app(proxied))) as c:
        await wait_until_listening(c.app)
        yield c


async def _login(c: Client, email: str, password: str, address: str) -> int:
    resp = await c.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )
    return resp.status


async def test_an_attacker_cannot_lock_a_victim_out(
    behind_proxy: Client, settings: Settings, make_company: MakeCompany, make_user: MakeUser
) -> None:
    victim = await make_user("admin", await make_company())
    email = victim.user.email
    for _ in range(settings.login_attempts + 3):
        await _login(behind_proxy, email, "guess", "198.51.100.66")
    assert await _login(behind_proxy, email, "guess", "198.51.100.66") == 429
    # the attacker's failures were counted against the attacker's address only
    assert await _login(behind_proxy, email, victim.password, "203.0.113.10") == 200


async def test_one_address_trying_many_accounts_is_limited(
    behind_proxy: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    someone = await make_user("admin", await make_company())
    for i in range(4):  # APP_LOGIN_ATTEMPTS_PER_ADDRESS in this gateway
        assert await _login(behind_proxy, f"user{i}@x.test", "guess", "198.51.100.1") == 401
    blocked = await behind_proxy.post(
        "/api/auth/login",
        json={"email": someone.user.email, "password": someone.password},
        headers={"X-Forwarded-For": "198.51.100.1"},
    )
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    # right passwords do not count; other addresses are not affected
    assert await _login(behind_proxy, someone.user.email, someone.password, "198.51.100.2") == 200
    assert await _login(behind_proxy, someone.user.email, someone.password, "198.51.100.2") == 200
