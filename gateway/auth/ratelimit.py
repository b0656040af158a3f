"""Login rate limit per (email, client IP), counted in Redis so all gateways share it.

When Redis is unreachable the count falls back to this process's memory rather than letting
logins through unlimited or locking everyone out.
"""

from __future__ import annotations

import contextlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import login_attempts_key

log = logging.getLogger(__name__)


class LoginRateLimiter:
    def __init__(self, redis: Redis, *, attempts: int, window_s: int) -> None:
        self._redis = redis
        self._attempts = attempts
        self._window_s = window_s
        self._local: dict[str, tuple[int, float]] = {}

    async def hit(self, email: str, ip: str) -> int | None:
        """Count one attempt; return seconds to wait when over the limit, else None."""
        key = login_attempts_key(email.strip().lower(), ip)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, self._window_s, nx=True)
                pipe.ttl(key)
                count, _, ttl = await pipe.execute()
        except RedisError as exc:
            log.warning("login rate limit falling back to local memory: %s", exc)
            count, ttl = self._hit_local(key)
        if int(count) > self._attempts:
            return max(int(ttl), 1)
        return None

    async def reset(self, email: str, ip: str) -> None:
        key = login_attempts_key(email.strip().lower(), ip)
        self._local.pop(key, None)
        with contextlib.suppress(RedisError):
            await self._redis.delete(key)

    def _hit_local(self, key: str) -> tuple[int, int]:
        now = time.monotonic()
        count, started = self._local.get(key, (0, now))
        if now - started > self._window_s:
            count, started = 0, now
        self._local[key] = (count + 1, started)
        return count + 1, int(self._window_s - (now - started))
