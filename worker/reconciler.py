"""Reconciler: sessions an admin wants running with no live lease get a ``start_session`` job.

Runs in every idle worker but does real work in one at a time (a short Redis lock), so a crashed
worker's session is re-queued within about lease TTL + reconcile period.
"""

from __future__ import annotations

import logging

from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool

from shared.constants import RedisNames
from shared.db.repos import sessions
from shared.queues import enqueue_start

log = logging.getLogger(__name__)


async def reconcile_once(
    redis: ArqRedis,
    names: RedisNames,
    pg: AsyncConnectionPool,
    *,
    worker_id: str,
    period_s: float,
) -> list[str]:
    """One pass; returns the session ids it queued (empty when another worker holds the lock)."""
    lock_ms = max(int(period_s * 900), 100)
    if not await redis.set(names.reconcile_lock, worker_id, nx=True, px=lock_ms):
        return []
    async with pg.connection() as conn:
        wanted = [str(sid) for sid in await sessions.ids_wanting_to_run(conn)]
    if not wanted:
        return []
    leased = await redis.mget([names.lease_key(sid) for sid in wanted])
    queued: list[str] = []
    for sid, owner in zip(wanted, leased, strict=True):
        if owner is None and await enqueue_start(redis, names, sid):
            queued.append(sid)
    if queued:
        log.info("worker=%s reconciler queued start for sessions=%s", worker_id, ",".join(queued))
    return queued
