"""Fixtures for the gateway tests: an arq client on the test Redis, ready tenants, and for the
dashboard's browser tests a headless Chromium and the real nginx in front of the gateway."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium import webdriver

from gateway.app import create_app
from shared.db.types import Company
from shared.settings import Settings
from tests.conftest import Account, MakeCompany, MakeUser
from tests.support.dashboard import make_chrome, quit_chrome
from tests.support.gateways import wait_until_listening
from tests.support.nginx import make_prefix, nginx_binary, start_nginx
from tests.support.tcp_proxy import TcpProxy, target_of, via

T = TypeVar("T")


@pytest.fixture
async def arq(settings: Settings, redis: Redis) -> AsyncIterator[ArqRedis]:
    client = ArqRedis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def proxies(settings: Settings) -> AsyncIterator[tuple[TcpProxy, TcpProxy]]:
    """(Postgres, Redis) behind loopback proxies a test can cut or turn into blackholes."""
    pg = TcpProxy(*target_of(settings.database_url, 5432))
    rd = TcpProxy(*target_of(settings.redis_url, 6379))
    await pg.start()
    await rd.start()
    yield pg, rd
    await pg.close()
    await rd.close()


@pytest.fixture
def proxied_settings(settings: Settings, proxies: tuple[TcpProxy, TcpProxy]) -> Settings:
    pg, rd = proxies
    return settings.model_copy(
        update={
            "database_url": via(settings.database_url, pg.port),
            "redis_url": via(settings.redis_url, rd.port),
        }
    )


@pytest.fixture
async def proxied_client(
    proxied_settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A gateway reaching Postgres and Redis through ``proxies``."""
    async with TestClient(TestServer(create_app(proxied_settings))) as c:
        await wait_until_listening(c.app)
        yield c


@dataclass(frozen=True)
class Tenant:
    company: Company
    admin: Account
    manager: Account


MakeTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture
def make_tenant(make_company: MakeCompany, make_user: MakeUser) -> MakeTenant:
    async def make(max_sessions: int = 5) -> Tenant:
        company = await make_company(max_sessions=max_sessions)
        return Tenant(
            company=company,
            admin=await make_user("admin", company),
            manager=await make_user("manager", company),
        )

    return make


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Selenium blocks: run it off the loop that serves the gateway."""
    return await asyncio.to_thread(fn, *args)


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    driver = make_chrome(tmp_path)
    try:
        yield driver
    finally:
        quit_chrome(driver)


@pytest.fixture
def front(client: TestClient[Any, Any]) -> Iterator[str]:
    """The dashboard as a person reaches it: through a real nginx with the repo's config."""
    binary = nginx_binary()
    assert binary, "nginx is not installed (make setup installs it)"
    prefix = make_prefix()
    assert client.server.port is not None
    proxy = start_nginx(binary, prefix, [client.server.port])
    try:
        yield proxy.url
    finally:
        proxy.stop()
        shutil.rmtree(prefix, ignore_errors=True)
    assert proxy.leftovers() == []


MakeBrowser = Callable[..., webdriver.Chrome]


@pytest.fixture
def make_browser() -> Iterator[MakeBrowser]:
    """Headless Chromium of a given screen size (``PHONE``, ``DESKTOP``) and browser languages."""
    made: list[tuple[webdriver.Chrome, Path]] = []

    def make(size: tuple[int, int], languages: str = "en-US,en") -> webdriver.Chrome:
        # a short path: Chromium's singleton socket lives under it (108 bytes at most)
        home = Path(tempfile.mkdtemp(prefix="wagw-b"))
        driver = make_chrome(home, size, languages)
        made.append((driver, home))
        return driver

    try:
        yield make
    finally:
        for driver, home in made:
            quit_chrome(driver)
            shutil.rmtree(home, ignore_errors=True)
