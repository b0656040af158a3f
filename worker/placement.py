"""Placement on the worker side: an idle worker picks start jobs only while its host may take
sessions (the reconciler's hint, shared/fleet.py); otherwise its pool consumer stays paused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.fleet import may_take_sessions
from worker.consumer import QueueConsumer

# how often an idle worker reads the hint (whether its host takes the next session)
POLL_S = 0.25


async def gate_pool(
    redis: Redis,
    names: RedisNames,
    host: str,
    consumer: QueueConsumer,
    *,
    idle: Callable[[], bool],
) -> None:
    """Resume or pause ``consumer`` for ever; ``idle`` says the worker may take a session now
    (owning one, claiming one or leaving: it may not)."""
    while True:
        allowed = False
        if idle():
            try:
                allowed = await may_take_sessions(redis, names, host)
            except (RedisError, OSError):
                allowed = True  # no hint to follow: the lease still decides who owns what
        if allowed and not consumer.picking:
            consumer.resume()
        elif not allowed and consumer.picking:
            consumer.pause()
        await asyncio.sleep(POLL_S)
