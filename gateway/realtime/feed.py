"""This gateway's reader of the event log: for every company with sockets here, the id of the last
event delivered to them, and delivery of everything after it, in order, once.

Redis messages only say "company C has event N" (a wake-up); the events themselves are read from
the log, so a publish that never came (a process killed between its commit and its publish, a
Redis outage) is found by the next poll, and a forged message delivers nothing. A socket that
resumes takes the company's ``seam``: while it is held nothing is delivered, so the replay of
the log and the live events meet without a gap or a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from shared import events
from shared.db.repos import event_log

log = logging.getLogger(__name__)

BATCH = 500  # events read from the log at once
Deliver = Callable[[events.Event], Awaitable[None]]


class Feed:
    def __init__(self, pg: AsyncConnectionPool, deliver: Deliver) -> None:
        self._pg = pg
        self._deliver = deliver
        self._position: dict[UUID, int] = {}  # company -> last event id delivered here
        self._sockets: dict[UUID, int] = {}  # company -> sockets here
        self._locks: dict[UUID, asyncio.Lock] = {}
        self._pumps: dict[UUID, asyncio.Task[None]] = {}
        self._again: set[UUID] = set()  # woken while its pump ran: read once more
        self.delivered = 0

    def position(self, company_id: UUID) -> int | None:
        return self._position.get(company_id)

    def _lock(self, company_id: UUID) -> asyncio.Lock:
        return self._locks.setdefault(company_id, asyncio.Lock())

    @asynccontextmanager
    async def seam(self, company_id: UUID) -> AsyncIterator[int]:
        """Hold the company's delivery still and yield the id delivered up to. A company seen
        for the first time starts at its newest event: its sockets get only what follows."""
        async with self._lock(company_id):
            if company_id not in self._position:
                async with self._pg.connection() as conn:
                    head = await event_log.position(conn, company_id=company_id)
                self._position[company_id] = head.last_id
            yield self._position[company_id]

    async def attach(self, company_id: UUID) -> int:
        """A socket of the company is here: follow the company; returns the position."""
        self._sockets[company_id] = self._sockets.get(company_id, 0) + 1
        try:
            async with self.seam(company_id) as position:
                return position
        except BaseException:
            self.detach(company_id)
            raise

    def detach(self, company_id: UUID) -> None:
        left = self._sockets.get(company_id, 0) - 1
        if left > 0:
            self._sockets[company_id] = left
            return
        self._sockets.pop(company_id, None)
        if not self._lock(company_id).locked() and company_id not in self._pumps:
            self._forget(company_id)

    def _forget(self, company_id: UUID) -> None:
        self._position.pop(company_id, None)
        self._locks.pop(company_id, None)

    def wake(self, company_id: UUID, event_id: int) -> None:
        """Company C has event N (a Redis message): read the log unless N was delivered."""
        position = self._position.get(company_id)
        if position is None or event_id <= position:
            return
        if company_id in self._pumps:
            self._again.add(company_id)
            return
        task = asyncio.create_task(self._pump(company_id), name=f"feed:{company_id}")
        self._pumps[company_id] = task

    async def _pump(self, company_id: UUID) -> None:
        try:
            while True:
                self._again.discard(company_id)
                await self.catch_up(company_id)
                if company_id not in self._again:
                    break
        except (PoolTimeout, psycopg.OperationalError) as exc:
            log.warning(
                "feed company=%s: log unreadable (%s); the next poll retries", company_id, exc
            )
        except Exception:  # one company's trouble must not stop the others
            log.exception("feed company=%s: delivery failed", company_id)
        finally:
            self._pumps.pop(company_id, None)
            if company_id not in self._sockets and not self._lock(company_id).locked():
                self._forget(company_id)

    async def catch_up(self, company_id: UUID) -> None:
        """Deliver the company's logged events after its position, in order."""
        async with self._lock(company_id):
            while company_id in self._position:
                async with self._pg.connection() as conn:
                    batch = await event_log.after(
                        conn,
                        company_id=company_id,
                        after_id=self._position[company_id],
                        limit=BATCH,
                    )
                for event in batch:
                    await self._deliver(event)
                    self._position[company_id] = event.event_id or 0
                    self.delivered += 1
                if len(batch) < BATCH:
                    return

    async def poll(self) -> None:
        """Every followed company whose newest event is past its position is caught up: the
        slow path for publishes that never came."""
        followed = list(self._position)
        if not followed:
            return
        async with self._pg.connection() as conn:
            newest = await event_log.heads(conn, company_ids=followed)
        for company_id, head in newest.items():
            self.wake(company_id, head)

    async def run_polling(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.poll()
            except (PoolTimeout, psycopg.OperationalError) as exc:
                log.warning("feed poll: log unreadable (%s)", exc)

    async def close(self) -> None:
        for task in list(self._pumps.values()):
            task.cancel()
        for task in list(self._pumps.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
