"""The e2e stack (a pytest plugin): simulator and worker subprocesses, Redis event tap, sessions."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.constants import RedisNames
from shared.db.repos import companies, sessions
from shared.db.types import WaSession
from shared.queues import enqueue_start
from shared.settings import Settings
from tests.support.events import EventTap, is_state, of_type
from tests.support.procs import Proc, free_port, processes_mentioning, wait_http
from tests.support.sim import SimClient

FAST_SIM = {"qrFirstMs": 4000, "qrRotateMs": 3000, "qrCount": 6, "loadMs": 200, "syncMs": 300}
# the worker's e2e tests that matter for both run on both: @pytest.mark.parametrize("bridge", BOTH)
BOTH = ("module", "page")


@pytest.fixture(scope="module")
def sim_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    logs = tmp_path_factory.mktemp("simlogs")
    proc = Proc("simulator", ["-m", "simulator", "--port", str(port)], {}, logs)
    try:
        wait_http(f"http://127.0.0.1:{port}/_sim/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.close()


@pytest.fixture
async def sim(sim_url: str) -> AsyncIterator[SimClient]:
    client = SimClient(sim_url)
    await client.reset()
    await client.config(**FAST_SIM)
    yield client
    await client.close()


@dataclass
class Stack:
    settings: Settings
    sim: SimClient
    sim_url: str
    pg: AsyncConnectionPool
    redis: Redis
    arq: ArqRedis
    tap: EventTap
    log_dir: Path
    profile_dir: Path
    bridge: str = (
        "module"  # APP_BRIDGE of the workers; the simulator's WPP stand-in is on unless "page"
    )
    company_id: UUID | None = None
    workers: list[Proc] = field(default_factory=list)

    def worker_env(self, worker_id: str, **extra: str) -> dict[str, str]:
        env = {
            "APP_MODE": "test",
            "APP_DATABASE_URL": self.settings.database_url,
            "APP_REDIS_URL": self.settings.redis_url,
            "APP_REDIS_PREFIX": self.settings.redis_prefix,
            "APP_WORKER_ID": worker_id,
            "WA_URL": self.sim_url,
            "APP_PROFILE_DIR": str(self.profile_dir),
            "APP_LEASE_TTL_MS": "4000",
            "APP_RECONCILE_INTERVAL_S": "1",
            "APP_CONFLICT_TAKEOVER_S": "0.5",
            "APP_LOG_LEVEL": "INFO",
            "APP_BRIDGE": self.bridge,
            "APP_WARM_BROWSER": "false",  # tests/worker/test_warm_browser_e2e.py turns it on
        }
        env.update(extra)
        return env

    def start_worker(self, worker_id: str, **extra: str) -> Proc:
        env = self.worker_env(worker_id, **extra)
        proc = Proc(f"worker-{worker_id}", ["-m", "worker"], env, self.log_dir)
        self.workers.append(proc)
        return proc

    async def new_session(self, name: str = "main") -> UUID:
        async with self.pg.connection() as conn:
            if self.company_id is None:
                self.company_id = (await companies.create(conn, name="Worker Co")).id
            session = await sessions.create(conn, company_id=self.company_id, name=name)
        self.tap.sessions.add(session.id)
        await enqueue_start(self.arq, RedisNames.of(self.settings), str(session.id))
        return session.id

    async def new_linked_session(self, phone: str, shop: str = "Shop") -> UUID:
        """A new session, linked by the simulated phone ``phone`` once its QR shows; ready."""
        session_id = await self.new_session()
        qr = await self.tap.wait_for(of_type("qr"), 60, "qr")
        assert isinstance(qr, events.QrEvent)
        await self.sim.link(qr.data.qr_raw, phone, shop)
        await self.tap.wait_for(is_state("ready"), 60, "ready")
        return session_id

    async def session_row(self, session_id: UUID) -> WaSession:
        async with self.pg.connection() as conn:
            row = await sessions.worker_get(conn, session_id=session_id)
        assert row is not None
        return row

    async def wait_snapshot(self, session_id: UUID, timeout_s: float = 30.0) -> None:
        """Until the session has a good profile snapshot: its link is on disk (Chromium writes
        Local Storage seconds late; the first snapshot waits for that, worker/snapshots)."""
        async with asyncio.timeout(timeout_s):
            while True:
                async with self.pg.connection() as conn:
                    cur = await conn.execute(
                        "SELECT 1 FROM wa_profile_snapshots"
                        " WHERE session_id = %s AND status = 'good' LIMIT 1",
                        (session_id,),
                    )
                    if await cur.fetchone() is not None:
                        return
                await asyncio.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.output()[-6000:]}" for w in self.workers)


@pytest.fixture
def bridge() -> str:
    """The bridge a test's workers use (parametrize ``bridge`` to choose; module by default)."""
    return "module"


@pytest.fixture
async def stack(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    tmp_path: Path,
    bridge: str,
) -> AsyncIterator[Stack]:
    await sim.config(bridge="off" if bridge == "page" else "on")
    arq = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    tap = EventTap(redis)
    await tap.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    st = Stack(settings, sim, sim_url, pg, redis, arq, tap, logs, profiles, bridge)
    try:
        yield st
    finally:
        for w in st.workers:
            w.close()
        await tap.stop()
        await arq.aclose()
    # no Chromium or chromedriver of these workers may outlive them
    assert processes_mentioning(str(profiles)) == []


def unique_phone() -> str:
    return "1555" + str(secrets.randbelow(10**7)).zfill(7)
