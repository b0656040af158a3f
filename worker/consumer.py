"""A stoppable arq queue consumer on a shared Redis connection.

arq's own ``Worker.close()`` closes the Redis pool it was given and cancels running jobs; here a
consumer stops picking jobs, lets the running one finish (bounded), then ends its poll loop. arq's
poll loop ends at the first Redis error; here it starts again (backoff 1 s to 30 s), so a Redis
restart or a network blip does not leave a worker deaf to its queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from arq.connections import ArqRedis
from arq.worker import Worker, func
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class QueueConsumer:
    def __init__(
        self,
        redis: ArqRedis,
        *,
        queue: str,
        functions: Sequence[Callable[..., Any]],
        ctx: dict[str, Any],
        job_timeout_s: float,
        max_tries: int = 5,
        poll_delay_s: float = 0.1,
    ) -> None:
        self.queue = queue
        self._worker = Worker(
            functions=[func(f, name=f.__name__) for f in functions],
            queue_name=queue,
            redis_pool=redis,
            handle_signals=False,
            max_jobs=1,  # one driver thread per session: commands run one at a time, in order
            job_timeout=job_timeout_s,
            keep_result=0,  # a kept result would block re-enqueuing the same job id (start:{id})
            poll_delay=poll_delay_s,
            max_tries=max_tries,
            ctx=ctx,
            log_results=False,
        )
        self._task: asyncio.Task[None] | None = None

    @property
    def picking(self) -> bool:
        return bool(self._worker.allow_pick_jobs)

    def pause(self) -> None:
        self._worker.allow_pick_jobs = False

    def resume(self) -> None:
        self._worker.allow_pick_jobs = True

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"consumer:{self.queue}")

    async def _run(self) -> None:
        backoff = 1.0
        while True:
            started = time.monotonic()
            try:
                await self._worker.main()
                return
            except (RedisError, OSError) as exc:
                if time.monotonic() - started > 60:
                    backoff = 1.0  # it had been polling fine: a new outage
                log.warning("queue=%s poll failed (%s), again in %.0fs", self.queue, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def stop(self, grace_s: float = 30.0) -> None:
        self.pause()
        running = [t for t in self._worker.tasks.values() if not t.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=grace_s)
            for t in pending:
                log.warning(
                    "queue=%s job still running after %.0fs, cancelling", self.queue, grace_s
                )
                t.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
