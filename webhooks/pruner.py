"""Retention: events older than APP_EVENT_RETENTION_H leave the log, and finished deliveries of
that age leave the delivery log, in short batched deletes (each statement stays quick)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import deliveries, event_log

log = logging.getLogger(__name__)

BATCH = 5000


async def prune(pg: AsyncConnectionPool, *, retention_h: float, batch: int = BATCH) -> int:
    """Delete everything past retention; returns how many events and deliveries went."""
    before = datetime.now(UTC) - timedelta(hours=retention_h)
    gone = 0
    for step in (event_log.prune, deliveries.prune):
        while True:
            async with pg.connection() as conn:
                n = await step(conn, before=before, batch=batch)
            gone += n
            if n < batch:
                break
    if gone:
        log.info("pruned rows=%d older than %s", gone, before.isoformat(timespec="seconds"))
    return gone
