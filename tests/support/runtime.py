"""A session runtime in the test's own process (real Chromium, Redis, Postgres and simulator),
linked and ready, for tests that reach into its page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import sessions
from shared.settings import Settings
from tests.support.databases import NAMES
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker.browser.thread import BrowserThread
from worker.publisher import Publisher
from worker.runtime import End, SessionRuntime

T = TypeVar("T")


@dataclass
class Running:
    runtime: SessionRuntime
    browser: BrowserThread
    pg: AsyncConnectionPool
    redis: Redis
    sim: SimClient
    session_id: UUID
    company_id: UUID
    phone: str


async def until(check: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 30) -> T:
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                got = await check()
                if got:
                    return got
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


@contextlib.asynccontextmanager
async def linked_runtime(
    settings: Settings,
    sim: SimClient,
    pg: AsyncConnectionPool,
    redis: Redis,
    company_id: UUID,
    profile_dir: Path,
    **overrides: object,
) -> AsyncIterator[Running]:
    """Start a runtime on a new session with these settings, link it, yield it; stop it after."""
    async with pg.connection() as conn:
        session = await sessions.create(conn, company_id=company_id, name="main")
    cfg = settings.model_copy(update={"profile_dir": profile_dir, **overrides})
    publisher = Publisher(
        pg,
        redis,
        channel=NAMES.events_channel,
        session_id=session.id,
        company_id=company_id,
        worker_id="w-test",
    )
    browser = BrowserThread()
    runtime = SessionRuntime(cfg, publisher, browser, redis)
    task = asyncio.create_task(runtime.run())
    try:

        async def qr() -> str | None:
            async with pg.connection() as conn:
                row = await sessions.worker_get(conn, session_id=session.id)
            return row.qr_payload if row else None

        async def ready() -> bool:
            async with pg.connection() as conn:
                row = await sessions.worker_get(conn, session_id=session.id)
            return row is not None and row.state == "ready"

        phone = unique_phone()
        await sim.link(await until(qr, "a QR"), phone, "Test Shop")
        await until(ready, "ready")
        yield Running(runtime, browser, pg, redis, sim, session.id, company_id, phone)
    finally:
        runtime.request_end(End.STOPPED)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
