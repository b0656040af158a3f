"""A lane is one webhook x one session: its deliveries go out one at a time, in order, each
retried until it is delivered or dead before the next one starts (in order per session)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from uuid import UUID

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from shared.db.repos import deliveries
from shared.db.repos.deliveries import Outcome, Queued
from webhooks.attempt import Target

log = logging.getLogger(__name__)

LOAD = 200  # pending deliveries read at once per lane
IDLE_CHECK_S = 1.0  # a disabled webhook's lane looks again this often

LaneKey = tuple[UUID, UUID]  # (webhook, session)
Attempt = Callable[[Target, Queued], Awaitable[Outcome]]


@dataclass
class Lane:
    key: LaneKey
    queue: deque[Queued] = field(default_factory=deque)
    loaded_up_to: int = 0  # the highest delivery id read
    more: bool = False  # woken while running: read the database again before stopping
    task: asyncio.Task[None] | None = None
    failing: bool = False


class Lanes:
    def __init__(
        self,
        pg: AsyncConnectionPool,
        targets: Callable[[UUID], Target | None],
        attempt: Attempt,
        record: Callable[[Outcome], None],
        concurrency: int,
    ) -> None:
        self._pg = pg
        self._targets = targets
        self._attempt = attempt
        self._record = record
        self._slots = asyncio.Semaphore(concurrency)
        self._lanes: dict[LaneKey, Lane] = {}
        self.delivered = 0

    @property
    def running(self) -> int:
        return sum(1 for lane in self._lanes.values() if lane.task is not None)

    def wake(self, key: LaneKey) -> None:
        """The lane may have new pending deliveries: run it (or have it look again)."""
        lane = self._lanes.setdefault(key, Lane(key))
        if lane.task is not None and not lane.task.done():
            lane.more = True
            return
        lane.task = asyncio.create_task(self._run(lane), name=f"lane:{key[0]}:{key[1]}")

    async def stop(self) -> None:
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()

    async def _load(self, lane: Lane) -> bool:
        lane.more = False
        webhook_id, session_id = lane.key
        async with self._pg.connection() as conn:
            batch = await deliveries.lane(
                conn,
                webhook_id=webhook_id,
                session_id=session_id,
                after_id=lane.loaded_up_to,
                limit=LOAD,
            )
        lane.queue.extend(batch)
        if batch:
            lane.loaded_up_to = batch[-1].delivery.id
        return bool(batch)

    async def _run(self, lane: Lane) -> None:
        try:
            while True:
                if not lane.queue and not await self._load(lane) and not lane.more:
                    break
                if lane.queue and not await self._step(lane):
                    break
        except (PoolTimeout, psycopg.OperationalError) as exc:
            log.warning("webhook=%s lane paused: database (%s)", lane.key[0], exc)
        except Exception:  # one lane's trouble must not stop the others
            log.exception("webhook=%s session=%s lane failed", *lane.key)
        finally:
            # the lane is kept (small): its high-water mark stops a later run from reading
            # again what was just delivered but is not recorded yet
            lane.task = None

    async def _step(self, lane: Lane) -> bool:
        """Try the lane's first delivery once (waiting for its time); False: the webhook is
        gone and the lane ends."""
        target = self._targets(lane.key[0])
        if target is None:  # deleted (its deliveries with it)
            lane.queue.clear()
            self._lanes.pop(lane.key, None)
            return False
        if not target.enabled:
            await asyncio.sleep(IDLE_CHECK_S)
            return True
        head = lane.queue[0]
        wait = (head.delivery.next_attempt_at - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
            return True  # the webhook may have changed meanwhile
        async with self._slots:
            outcome = await self._attempt(target, head)
        self._record(outcome)
        self._note(lane, outcome)
        if outcome.status == "pending" and outcome.next_attempt_at is not None:
            moved = replace(
                head.delivery, attempts=outcome.attempt, next_attempt_at=outcome.next_attempt_at
            )
            lane.queue[0] = Queued(moved, head.payload)
        else:
            lane.queue.popleft()
            self.delivered += outcome.status == "delivered"
        return True

    def _note(self, lane: Lane, outcome: Outcome) -> None:
        """Log when a lane starts failing and when it recovers (not every attempt)."""
        failing = outcome.status != "delivered"
        if failing and not lane.failing:
            log.warning(
                "webhook=%s session=%s failing: %s (retrying with backoff)",
                lane.key[0],
                lane.key[1],
                outcome.error,
            )
        elif lane.failing and not failing:
            log.info("webhook=%s session=%s delivering again", *lane.key)
        lane.failing = failing
