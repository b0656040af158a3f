"""SIGTERM with 50 sockets connected through the repo's nginx: the gateway tells each socket why,
closes it, answers the request it is serving, and is gone within 5 s; the clients reconnect by
themselves, to the second gateway, and receive events there."""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeCompany, MakeUser
from tests.support.eventlog import log_and_publish
from tests.support.gateways import live_sockets, start_gateway
from tests.support.nginx import make_prefix, nginx_binary, start_nginx
from tests.support.procs import Proc, free_port
from tests.support.sockets import SocketProbe
from tests.support.wa import seed_chat, seed_session

SOCKETS = 50
EXIT_WITHIN_S = 5.0


@pytest.fixture
def nginx_prefix() -> Iterator[Path]:
    path = make_prefix()
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, f"not within {timeout_s}s: {what}"
        await asyncio.sleep(0.1)


async def test_sigterm_with_50_sockets_hands_them_to_the_other_gateway(
    settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
    nginx_prefix: Path,
    tmp_path: Path,
) -> None:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (make setup installs the Debian package)")
    company = await make_company()
    admin = await make_user("admin", company)
    session = await seed_session(pg, company.id)
    chat = await seed_chat(pg, session.id, "79001234567@c.us")
    ports = [free_port(), free_port()]
    gateways: list[Proc] = []
    probes = [SocketProbe(reconnect=True) for _ in range(SOCKETS)]
    try:
        for i, port in enumerate(ports):
            gateways.append(
                start_gateway(
                    settings, port, tmp_path, f"gateway{i}", APP_TRUSTED_PROXIES="127.0.0.1"
                )
            )
        nginx = start_nginx(binary, nginx_prefix, ports)
        try:
            connected = await asyncio.gather(*(p.connect(nginx.url, admin.token) for p in probes))
            assert all(connected)
            # nginx sticks one client address to one gateway: all 50 are on the same one
            counts = [live_sockets(p) for p in ports]
            assert sorted(counts) == [0, SOCKETS], counts
            serving = counts.index(SOCKETS)
            other = 1 - serving

            async with aiohttp.ClientSession() as http:
                # a request in flight: a send that would wait 20 s for a worker that never comes
                url = (
                    f"http://127.0.0.1:{ports[serving]}/api/whatsapp/sessions/{session.id}"
                    f"/chats/{chat.id}/send?wait=20"
                )
                in_flight = asyncio.create_task(
                    http.post(url, json={"message": "hello"}, headers=admin.headers)
                )
                await asyncio.sleep(0.5)
                started = time.monotonic()
                gateways[serving].popen.send_signal(signal.SIGTERM)
                code = await asyncio.to_thread(gateways[serving].popen.wait, 10)
                elapsed = time.monotonic() - started
                answered = await in_flight
                assert answered.status == 202, await answered.text()
                assert (await answered.json())["data"]["status"] == "pending"
            assert elapsed <= EXIT_WITHIN_S, f"gateway took {elapsed:.1f}s to exit"
            assert code == 0, gateways[serving].output()[-3000:]
            log = gateways[serving].output()
            assert f"shutdown: sockets={SOCKETS}" in log, log[-3000:]
            assert "Traceback" not in log, log[-3000:]

            for probe in probes:
                closed = await probe.wait_for("connection-closed")
                assert closed[0] == {"reason": "server_shutdown", "reconnect": True}
                # welcomed again: by the other gateway (this one no longer exists)
                await probe.wait_for("connection-confirmed", count=2, timeout_s=15)
            await _until(lambda: live_sockets(ports[other]) == SOCKETS, 10, "all on the other")

            event = events.StateEvent(
                session_id=session.id,
                company_id=company.id,
                data=events.StateData(
                    state=SessionState.READY, previous=SessionState.QR, reason="after_handoff"
                ),
            )
            await log_and_publish(pg, redis, event)
            for probe in probes:
                # replayed by each gateway, then the live one
                states = await probe.wait_for("whatsapp:state", count=3)
                assert any(s.get("reason") == "after_handoff" for s in states)
        finally:
            await asyncio.gather(*(p.disconnect() for p in probes), return_exceptions=True)
            nginx.stop()
    finally:
        for proc in gateways:
            proc.close()
