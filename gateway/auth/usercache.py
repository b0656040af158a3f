"""A short-lived, per-process cache of the user a token names (saves a query per request), kept
true by pushed notices: a disabled or deleted user is refused at once on every gateway.

Every change of a user is announced on the access channel (``user_changed``); each gateway's relay
drops the user from its cache as the notice arrives. While a gateway is not subscribed (Redis
down, reconnecting) it could miss a notice, so its cache is not used then: every request reads
Postgres. ``APP_AUTH_CACHE_S=0`` turns the cache off.
"""

from __future__ import annotations

import time
from uuid import UUID

from aiohttp import web

from gateway.keys import NAMES, REDIS, USER_CACHE
from shared.db.types import User
from shared.notices import announce_access_changed

MAX_ENTRIES = 10_000


class UserCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[UUID, tuple[float, User]] = {}
        self._trusted = False  # set by the relay while it listens for notices
        # bumped by every forget: a read that started before a notice is not cached after it
        self.generation = 0

    @property
    def trusted(self) -> bool:
        return self._trusted

    def trust(self, listening: bool) -> None:
        """The relay (un)subscribed: nothing cached across a gap in the notices survives."""
        self._trusted = listening
        self.clear()

    def get(self, user_id: UUID) -> User | None:
        if self.ttl_s <= 0 or not self._trusted:
            return None
        hit = self._entries.get(user_id)
        if hit is None:
            return None
        if time.monotonic() - hit[0] > self.ttl_s:
            del self._entries[user_id]
            return None
        return hit[1]

    def put(self, user: User, *, generation: int) -> None:
        """Cache a user read while ``generation`` was current (stale reads are not kept)."""
        if self.ttl_s <= 0 or not self._trusted or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # crude but bounded; entries live seconds anyway
        self._entries[user.id] = (time.monotonic(), user)

    def forget(self, user_id: UUID) -> None:
        self.generation += 1
        self._entries.pop(user_id, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()


async def user_changed(request: web.Request, *, company_id: UUID | None, user_id: UUID) -> None:
    """After a committed change of a user (rights, disabled, deleted): this gateway forgets the
    user now, every other gateway when the notice reaches it."""
    request.app[USER_CACHE].forget(user_id)
    await announce_access_changed(
        request.app[REDIS], request.app[NAMES], company_id=company_id, user_id=user_id
    )
