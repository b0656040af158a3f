"""Gateways for tests: waiting for an in-process app's relay, and gateway subprocesses."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from gateway.keys import USER_CACHE
from gateway.server import GatewayRunner
from shared.settings import Settings
from tests.support.procs import Proc, wait_http


class GatewayTestServer(TestServer):
    """A TestServer running the app the way ``python -m gateway`` does (GatewayRunner)."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return GatewayRunner(self.app, **kwargs)


async def wait_until_listening(app: web.Application, timeout_s: float = 5.0) -> None:
    """Until the app's relay has subscribed to its channels (events and notices reach it)."""
    async with asyncio.timeout(timeout_s):
        while not app[USER_CACHE].trusted:  # noqa: ASYNC110 (a flag the relay task sets)
            await asyncio.sleep(0.01)


def start_gateway(settings: Settings, port: int, log_dir: Path, name: str, **env: str) -> Proc:
    """``python -m gateway`` with the test settings on ``port``; answers /health when returned."""
    values = {
        "APP_MODE": "test",
        "APP_DATABASE_URL": settings.database_url,
        "APP_REDIS_URL": settings.redis_url,
        "APP_REDIS_PREFIX": settings.redis_prefix,
        "APP_JWT_SECRET": settings.jwt_secret,
        "APP_GATEWAY_HOST": "127.0.0.1",
        "APP_GATEWAY_PORT": str(port),
        "APP_PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "APP_PASSWORD_TIME_COST": str(settings.password_time_cost),
        "APP_LOG_LEVEL": "INFO",
        "APP_MEDIA_DIR": str(settings.media_dir),
        **env,
    }
    proc = Proc(name, ["-m", "gateway"], values, log_dir)
    wait_http(f"http://127.0.0.1:{port}/health")
    return proc


def live_sockets(port: int) -> int:
    """The ``gateway_sockets`` gauge of the gateway on ``port`` (its /metrics)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found = re.search(r"^gateway_sockets ([0-9.e+]+)$", text, re.M)
    assert found, text[-2000:]
    return int(float(found.group(1)))
