"""Outcomes written in batches (one statement per batch), so a fast receiver is not slowed by a
write per delivery. A batch not written when the process dies is delivered again on restart
(at-least-once: receivers de-duplicate on the event id)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from shared.db.repos import deliveries

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 0.05
FLUSH_AT = 500


class Recorder:
    def __init__(self, pg: AsyncConnectionPool) -> None:
        self._pg = pg
        self._waiting: list[deliveries.Outcome] = []
        self._full = asyncio.Event()
        self.written = 0

    @property
    def waiting(self) -> int:
        """Outcomes not written yet."""
        return len(self._waiting)

    def add(self, outcome: deliveries.Outcome) -> None:
        self._waiting.append(outcome)
        if len(self._waiting) >= FLUSH_AT:
            self._full.set()

    async def flush(self) -> None:
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            async with self._pg.connection() as conn:
                await deliveries.record(conn, batch)
        except (PoolTimeout, psycopg.Error) as exc:  # kept for the next flush
            self._waiting[:0] = batch
            log.warning("webhook outcomes not written (%s); retrying", exc)
            return
        except asyncio.CancelledError:  # stopping mid-write: the final flush writes it
            self._waiting[:0] = batch
            raise
        self.written += len(batch)
        dead = Counter(o.delivery_id for o in batch if o.status == "dead")
        if dead:
            log.warning("webhook deliveries dead-lettered=%d (see the delivery log)", len(dead))

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_EVERY_S):
                    await self._full.wait()
            self._full.clear()
            await self.flush()
