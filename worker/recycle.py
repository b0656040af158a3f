"""The memory watchdog: a session whose Chromium stays above ``APP_BROWSER_MAX_PSS_MB`` is
recycled by a hand-off at a quiet moment.

The worker's heartbeat measures the browser's PSS every few seconds; ``OVER_SAMPLES`` readings
in a row above the limit ask the runtime for a recycle. The runtime carries it out only when the
session is ready and nothing happened on it for ``QUIET_S`` (no message, ack or command): a
hand-off, as on a worker restart, so the next browser opens the same profile (no new QR) and
catches up on what came meanwhile (nothing lost). Each recycle is counted in Redis
(``wa:counters`` ``browser_recycles``, on /metrics as ``wa_browser_recycles_total``).
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames

log = logging.getLogger(__name__)

OVER_SAMPLES = 3  # heartbeat readings in a row above the limit (HEARTBEAT_EVERY_S apart)
QUIET_S = 5.0  # nothing happened on the session for this long: a moment to recycle
COUNTER = "browser_recycles"


class MemoryWatch:
    """Readings of one session's browser PSS against the limit (0: no limit)."""

    def __init__(self, limit_mb: int, samples: int = OVER_SAMPLES) -> None:
        self.limit_mb = limit_mb
        self.samples = samples
        self._over = 0

    def observe(self, pss_mb: float) -> bool:
        """True once the last ``samples`` readings were all above the limit."""
        if self.limit_mb <= 0 or pss_mb <= 0:
            return False
        self._over = self._over + 1 if pss_mb > self.limit_mb else 0
        return self._over >= self.samples


async def count_recycle(redis: Redis, names: RedisNames) -> None:
    """One recycle more on /metrics; a Redis that is away loses the count, logged."""
    try:
        await redis.hincrby(names.worker_counters, COUNTER, 1)  # type: ignore[misc]
    except (RedisError, OSError) as exc:
        log.warning("browser recycle not counted (redis: %s)", exc)
