"""A short-lived, per-process cache of the user a token names (saves a query per request).

Disabling or deleting a user takes effect within ``ttl_s`` on every gateway (default 2 s;
``APP_AUTH_CACHE_S=0`` turns the cache off).
"""

from __future__ import annotations

import time
from uuid import UUID

from shared.db.types import User

MAX_ENTRIES = 10_000


class UserCache:
    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[UUID, tuple[float, User]] = {}

    def get(self, user_id: UUID) -> User | None:
        if self.ttl_s <= 0:
            return None
        hit = self._entries.get(user_id)
        if hit is None:
            return None
        if time.monotonic() - hit[0] > self.ttl_s:
            del self._entries[user_id]
            return None
        return hit[1]

    def put(self, user: User) -> None:
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # crude but bounded; entries live seconds anyway
        self._entries[user.id] = (time.monotonic(), user)

    def forget(self, user_id: UUID) -> None:
        self._entries.pop(user_id, None)
