"""The memory watchdog's readings (worker/recycle.py) and its count on Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from tests.support.databases import NAMES
from worker.recycle import COUNTER, MemoryWatch, count_recycle


def test_only_readings_in_a_row_above_the_limit_ask_for_a_recycle() -> None:
    watch = MemoryWatch(300, samples=3)
    assert [watch.observe(x) for x in (310, 320, 290, 301, 302)] == [False] * 5
    assert watch.observe(303) is True  # three in a row
    assert watch.observe(0) is False  # no reading (browser gone) ...
    assert watch.observe(304) is True  # ... does not start the count again
    assert watch.observe(250) is False


def test_no_limit_never_recycles() -> None:
    watch = MemoryWatch(0, samples=1)
    assert not any(watch.observe(x) for x in (1, 10_000, 1e9))


async def test_a_recycle_is_counted_for_metrics(redis: Redis) -> None:
    await count_recycle(redis, NAMES)
    await count_recycle(redis, NAMES)
    assert await redis.hget(NAMES.worker_counters, COUNTER) == b"2"  # type: ignore[misc]
