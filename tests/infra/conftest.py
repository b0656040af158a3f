"""Fixtures for the infra tests: two real in-process gateways and a real nginx in front of them."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared.settings import Settings
from tests.support.nginx import Nginx, make_prefix, nginx_binary, start_nginx


@dataclass
class Hit:
    path: str
    real_ip: str | None
    forwarded_for: str | None
    request_id: str | None


@dataclass
class Gateway:
    """One gateway serving on a real port, with every request it answered."""

    port: int
    hits: list[Hit] = field(default_factory=list)


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (make setup installs the Debian package)")
    return binary


@pytest.fixture
def prefix() -> Iterator[Path]:
    path = make_prefix()
    yield path
    shutil.rmtree(path, ignore_errors=True)  # rendered config, logs and temp files of this test


@pytest.fixture
async def gateways(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[list[Gateway]]:
    """Two gateways (``create_app(settings)``) on free loopback ports, as compose runs two."""
    runners: list[web.AppRunner] = []
    started: list[Gateway] = []
    try:
        for _ in range(2):
            app = create_app(settings)
            gw = Gateway(port=0)

            async def record(
                request: web.Request, response: web.StreamResponse, gw: Gateway = gw
            ) -> None:
                gw.hits.append(
                    Hit(
                        path=request.path,
                        real_ip=request.headers.get("X-Real-IP"),
                        forwarded_for=request.headers.get("X-Forwarded-For"),
                        request_id=request.headers.get("X-Request-ID"),
                    )
                )

            app.on_response_prepare.append(record)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            runners.append(runner)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            gw.port = int(runner.addresses[0][1])
            started.append(gw)
        yield started
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


@pytest.fixture
def nginx(nginx_bin: str, prefix: Path, gateways: list[Gateway]) -> Iterator[Nginx]:
    """nginx on a free port, upstream = the two gateways; stopped (no process left) afterwards."""
    proc = start_nginx(nginx_bin, prefix, [gw.port for gw in gateways])
    try:
        yield proc
    finally:
        proc.stop()
    assert proc.leftovers() == [], "nginx processes left behind"
