"""Events written the way the worker and the gateway write them: logged in a transaction, then
published on the events channel (what a test needs when it plays the worker)."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.eventwriter import EventWriter
from tests.support.databases import NAMES


async def log_and_publish(
    pg: AsyncConnectionPool, redis: Redis, *batch: events.Event
) -> list[events.Event]:
    """Log the events (one session's) in one transaction, publish them; returns them with ids."""
    writer = EventWriter(pg, redis, channel=NAMES.events_channel)
    async with writer.unit() as unit:
        for event in batch:
            unit.emit(event)
    return unit.logged


async def log_only(pg: AsyncConnectionPool, *batch: events.Event) -> list[events.Event]:
    """Log the events without publishing them: a process that died between its commit and its
    publish."""
    async with pg.connection() as conn, conn.transaction():
        from shared.db.repos import event_log

        return await event_log.append(conn, batch)
