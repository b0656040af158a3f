"""Outcomes a stop interrupts mid-write are not lost: the final flush writes them (else every
delivery of the batch is sent again by the next sender)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from shared.db.repos.deliveries import Outcome
from webhooks.recorder import Recorder


class StuckPool:
    """A pool whose connection never comes (a write in progress when the stop comes)."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        self.asked.set()
        await asyncio.Event().wait()
        yield None


async def test_a_flush_cancelled_mid_write_keeps_its_batch() -> None:
    pool = StuckPool()
    recorder = Recorder(pool)  # type: ignore[arg-type]
    outcome = Outcome(1, 1, datetime.now(UTC), 200, 5, None, "delivered")
    recorder.add(outcome)
    flushing = asyncio.create_task(recorder.flush())
    await pool.asked.wait()
    flushing.cancel()
    await asyncio.gather(flushing, return_exceptions=True)
    assert recorder.waiting == 1 and recorder.written == 0
