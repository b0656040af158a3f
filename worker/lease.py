"""The session lease in Redis (``wa:lease:{session_id}``): claim with SET NX, renew, release.

Renew and release only touch the key while it still holds this worker's id, so a worker that lost
its lease (paused, partitioned) can never extend or delete a lease another worker now holds. A
worker cut off from Redis gives the session up while its lease is still valid (the last renewal
it is sure of, plus the TTL), one renewal period before it could expire: by the time another
worker can claim it, this one has stopped driving the browser, and fencing refuses any late write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import LEASE_RENEW_EVERY_S

log = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Lease:
    def __init__(
        self, redis: Redis, *, key: str, session_id: str, worker_id: str, ttl_ms: int
    ) -> None:
        self._redis = redis
        self.session_id = session_id
        self.worker_id = worker_id
        self.ttl_ms = ttl_ms
        self.key = key  # the deployment's lease key of the session
        # renew well inside the TTL (a third of it), whatever the TTL is configured to
        self.renew_every_s = min(LEASE_RENEW_EVERY_S, ttl_ms / 3000)
        self._task: asyncio.Task[None] | None = None
        self.valid_until = 0.0  # monotonic time the lease surely lasts to (last renewal + TTL)

    async def claim(self) -> bool:
        sent_at = time.monotonic()
        claimed = bool(await self._redis.set(self.key, self.worker_id, nx=True, px=self.ttl_ms))
        if claimed:
            self.valid_until = sent_at + self.ttl_ms / 1000
        return claimed

    async def _script(self, script: str, *args: str) -> bool:
        pending: Any = self._redis.eval(script, 1, self.key, *args)  # redis-py types it loosely
        return bool(await pending)

    async def renew(self) -> bool:
        return await self._script(_RENEW, self.worker_id, str(self.ttl_ms))

    async def release(self) -> bool:
        try:
            return await self._script(_RELEASE, self.worker_id)
        except RedisError as exc:
            log.warning(
                "session=%s lease release failed (it will expire): %s", self.session_id, exc
            )
            return False

    def keep_alive(self, on_lost: Callable[[], None]) -> None:
        """Renew in the background; call ``on_lost`` once if the lease is gone or not renewable."""
        self._task = asyncio.create_task(self._renew_loop(on_lost), name=f"lease:{self.session_id}")

    async def stop_keep_alive(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _renew_loop(self, on_lost: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(self.renew_every_s)
            sent_at = time.monotonic()
            try:
                # a Redis behind a cut network may never answer: a renewal is bounded
                async with asyncio.timeout(self.renew_every_s):
                    renewed = await self.renew()
                if renewed:
                    self.valid_until = sent_at + self.ttl_ms / 1000
                    continue
                log.warning("session=%s lease lost to another worker", self.session_id)
            except (RedisError, OSError, TimeoutError) as exc:
                left = self.valid_until - time.monotonic()
                if left > self.renew_every_s:  # one more try still ends inside the TTL
                    log.warning(
                        "session=%s lease renew failed (%.1fs left), retrying: %s",
                        self.session_id,
                        left,
                        exc or type(exc).__name__,
                    )
                    continue
                log.warning(
                    "session=%s cut off from Redis: lease could not be renewed (%.1fs left),"
                    " giving the session up",
                    self.session_id,
                    left,
                )
            on_lost()
            return


async def expire_if_held_by(redis: Redis, key: str, worker_id: str) -> bool:
    """Delete a lease only while ``worker_id`` still holds it (its process is gone)."""
    pending: Any = redis.eval(_RELEASE, 1, key, worker_id)
    return bool(await pending)
