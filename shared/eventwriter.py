"""Units of work that log the events they cause: the change, its audit row and its events commit
in one transaction; after the commit the events are published on Redis, the fast path.

A publish that never happens (Redis down, the process killed right after the commit) loses
nothing: gateways and the webhook sender read the event log, and Redis only wakes them sooner.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared import events
from shared.db.repos import event_log
from shared.db.types import Conn

log = logging.getLogger(__name__)


@dataclass
class Unit:
    """One transaction: write through ``conn``, ``emit`` the events the change causes."""

    conn: Conn
    pending: list[events.Event] = field(default_factory=list)
    logged: list[events.Event] = field(default_factory=list)  # with ids, after the commit

    def emit(self, event: events.Event) -> None:
        self.pending.append(event)


class EventWriter:
    def __init__(self, pg: AsyncConnectionPool, redis: Redis, *, channel: str) -> None:
        self._pg = pg
        self._redis = redis
        self._channel = channel  # the deployment's events channel

    @asynccontextmanager
    async def unit(self, *, timeout: float | None = None) -> AsyncIterator[Unit]:
        """A transaction; the events emitted in it are logged last (the company's counter row is
        locked from there to the commit: keep that short) and published after the commit."""
        async with self._pg.connection(timeout) as conn, conn.transaction():
            unit = Unit(conn)
            yield unit
            unit.logged = await event_log.append(conn, unit.pending)
        if unit.logged:
            await self.publish(unit.logged)

    async def publish(self, logged: list[events.Event]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in logged:
                    pipe.publish(self._channel, events.encode(event))
                await pipe.execute()
        except (RedisError, OSError) as exc:  # logged already: readers find it by polling
            first = logged[0]
            log.warning(
                "company=%s events=%d-%d not published (%s); readers catch up from the log",
                first.company_id,
                first.event_id,
                logged[-1].event_id,
                exc,
            )
