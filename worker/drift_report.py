"""Never silent: every ``Drift`` the page layer returns is counted, logged once and surfaced.

Each one (the same row, chat or dialog seen again counts once) bumps ``HINCRBY wa:drift <kind>``
at once (the deployment-wide counter the gateway's ``/metrics`` shows); the first of each kind in a
session is logged with its ≤ 40-char excerpt; the session's ``page_drift`` ({kind: {count,
lastAt}}) is written in batches, not once per row.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from uuid import UUID

from psycopg import Error as PgError
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.db.repos import sessions
from worker.browser.drift import Drift

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 2.0
# things already counted (a broken row is read again on every scan of its chat); bounded
MAX_REMEMBERED = 10_000


class DriftReporter:
    def __init__(
        self, pg: AsyncConnectionPool, redis: Redis, *, names: RedisNames, session_id: UUID
    ) -> None:
        self._pg = pg
        self._redis = redis
        self._counts_key = names.drift_counts
        self._session_id = session_id
        self._logged: set[str] = set()
        self._counted: set[tuple[str, str]] = set()
        self._pending: dict[str, tuple[int, datetime]] = {}
        self._flushed_at = time.monotonic()

    async def report(self, drifts: list[Drift] | tuple[Drift, ...]) -> None:
        for drift in drifts:
            await self._one(drift)
        await self.flush()

    async def _one(self, drift: Drift) -> None:
        kind = str(drift.kind)
        if drift.key:
            if (kind, drift.key) in self._counted:
                return
            if len(self._counted) >= MAX_REMEMBERED:
                self._counted.clear()
            self._counted.add((kind, drift.key))
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(self._counts_key, kind, 1)
                await pipe.execute()
        except RedisError as exc:  # still logged and written to the session below
            log.warning("session=%s drift counter %s not counted: %s", self._session_id, kind, exc)
        count, _ = self._pending.get(kind, (0, datetime.now(UTC)))
        self._pending[kind] = (count + 1, datetime.now(UTC))
        if kind not in self._logged:
            self._logged.add(kind)
            log.warning(
                "session=%s page_drift=%s excerpt=%r (logged once per kind per session)",
                self._session_id,
                kind,
                drift.excerpt,
            )

    async def flush(self, *, force: bool = False) -> None:
        """Write what accumulated to the session row, at most every ``FLUSH_EVERY_S``."""
        if not self._pending or (not force and time.monotonic() - self._flushed_at < FLUSH_EVERY_S):
            return
        batch, self._pending = self._pending, {}
        self._flushed_at = time.monotonic()
        try:
            async with self._pg.connection() as conn:
                await sessions.worker_add_drift(conn, session_id=self._session_id, counts=batch)
        except PgError as exc:
            log.warning("session=%s page_drift not written: %s", self._session_id, exc)
            for kind, (n, at) in batch.items():  # keep it for the next flush
                before, _ = self._pending.get(kind, (0, at))
                self._pending[kind] = (before + n, at)
