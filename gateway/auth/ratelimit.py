"""Login rate limits, counted in Redis so all gateways share them:

- per (email, client address): ``APP_LOGIN_ATTEMPTS`` attempts per window; a success clears it;
- per client address, whatever the email: after ``APP_LOGIN_ATTEMPTS_PER_ADDRESS`` wrong
  passwords in a window, every login from it waits (one address trying many accounts).

The client address comes from gateway/forwarded.py (forwarding headers only from trusted
proxies), so nobody can spend another person's attempts by claiming their address. When Redis is
unreachable the counts fall back to this process's memory rather than letting logins through
unlimited or locking everyone out; after a Redis failure the limiter stays local for a few
seconds, so a hanging Redis costs a login one timeout, not one per step.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames

log = logging.getLogger(__name__)

LOCAL_AFTER_FAILURE_S = 5.0
MAX_LOCAL_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Limits:
    per_email: int
    per_address: int
    window_s: int


class LoginRateLimiter:
    def __init__(self, redis: Redis, names: RedisNames, limits: Limits) -> None:
        self._redis = redis
        self._names = names
        self._limits = limits
        self._local: dict[str, tuple[int, float]] = {}
        self._local_until = 0.0

    def _email_key(self, email: str, address: str) -> str:
        return self._names.login_email_key(email.strip().lower(), address)

    async def check(self, email: str, address: str) -> int | None:
        """Count one attempt for the email; return seconds to wait when over a limit, else
        None. Called before the password is checked, so a blocked caller costs no hashing."""
        email_key = self._email_key(email, address)
        address_key = self._names.login_address_key(address)
        if not self._redis_skipped():
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incr(email_key)
                    pipe.expire(email_key, self._limits.window_s, nx=True)
                    pipe.ttl(email_key)
                    pipe.get(address_key)
                    pipe.ttl(address_key)
                    count, _, ttl, failures, failures_ttl = await pipe.execute()
                return self._wait((int(count), int(ttl)), (int(failures or 0), int(failures_ttl)))
            except RedisError as exc:
                self._went_local(exc)
        return self._wait(self._hit_local(email_key), self._peek_local(address_key))

    async def failed(self, address: str) -> None:
        """A wrong password from this address (whatever the email)."""
        key = self._names.login_address_key(address)
        if not self._redis_skipped():
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.incr(key)
                    pipe.expire(key, self._limits.window_s, nx=True)
                    await pipe.execute()
                return
            except RedisError as exc:
                self._went_local(exc)
        self._hit_local(key)

    async def succeeded(self, email: str, address: str) -> None:
        """A right password: this email starts afresh from this address."""
        key = self._email_key(email, address)
        self._local.pop(key, None)
        if not self._redis_skipped():
            with contextlib.suppress(RedisError):
                await self._redis.delete(key)

    def _wait(self, email: tuple[int, int], address: tuple[int, int]) -> int | None:
        waits = []
        if email[0] > self._limits.per_email:
            waits.append(email[1])
        if address[0] >= self._limits.per_address:
            waits.append(address[1])
        return max(*waits, 1) if waits else None

    def _went_local(self, exc: RedisError) -> None:
        log.warning("login rate limit falling back to local memory: %s", exc)
        self._local_until = time.monotonic() + LOCAL_AFTER_FAILURE_S

    def _redis_skipped(self) -> bool:
        return time.monotonic() < self._local_until

    def _remaining(self, started: float) -> int:
        return int(self._limits.window_s - (time.monotonic() - started))

    def _peek_local(self, key: str) -> tuple[int, int]:
        hit = self._local.get(key)
        if hit is None or time.monotonic() - hit[1] > self._limits.window_s:
            return 0, 0
        return hit[0], self._remaining(hit[1])

    def _hit_local(self, key: str) -> tuple[int, int]:
        now = time.monotonic()
        count, started = self._local.get(key, (0, now))
        if now - started > self._limits.window_s:
            count, started = 0, now
        if len(self._local) >= MAX_LOCAL_KEYS:
            self._local.clear()  # bounded; only used while Redis is away
        self._local[key] = (count + 1, started)
        return count + 1, self._remaining(started)
