"""Reconciler: sessions an admin wants running with no live lease get a ``start_session`` job.

Runs in every worker but does real work in one at a time (a short Redis lock), so a crashed
worker's session is re-queued within about lease TTL + reconcile period, or sooner when the
holder's process is seen gone (``departed``). Each pass also
refreshes the placement hint (the least-loaded hosts take the next session), says
``waiting_for_worker`` of sessions no free worker can take, and moves drained hosts' sessions.
"""

from __future__ import annotations

import logging

from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool

from shared import events
from shared.constants import RedisNames
from shared.db.repos import sessions
from shared.db.types import WantedSession
from shared.eventwriter import EventWriter
from shared.fleet import Fleet, publish_placement, read_fleet
from shared.queues import enqueue_start
from shared.states import Reason, SessionState
from worker.departed import departed
from worker.drain import drain_once
from worker.lease import expire_if_held_by

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
    fleet = await read_fleet(redis, names)
    await publish_placement(redis, names, fleet)
    async with pg.connection() as conn:
        wanted = await sessions.wanting_to_run(conn)
    queued: list[str] = []
    if wanted:
        owners = await redis.mget([names.lease_key(str(s.id)) for s in wanted])
        holders = [o.decode() if o is not None else None for o in owners]
        gone = await departed(redis, names, {h for h in holders if h is not None})
        unleased: list[WantedSession] = []
        for s, holder in zip(wanted, holders, strict=True):
            # nobody holds it, or its holder's process is gone (its lease expired early)
            if holder is None or (holder in gone and await _expire(redis, names, s, holder)):
                unleased.append(s)
        for s in unleased:
            if await enqueue_start(redis, names, str(s.id)):
                queued.append(str(s.id))
        if queued:
            log.info(
                "worker=%s reconciler queued start for sessions=%s", worker_id, ",".join(queued)
            )
        await _say_waiting(redis, names, pg, fleet, unleased)
    await drain_once(redis, names, fleet)
    return queued


async def _expire(redis: ArqRedis, names: RedisNames, s: WantedSession, holder: str) -> bool:
    if not await expire_if_held_by(redis, names.lease_key(str(s.id)), holder):
        return False
    log.info("session=%s lease of departed worker=%s expired early", s.id, holder)
    return True


async def _say_waiting(
    redis: ArqRedis,
    names: RedisNames,
    pg: AsyncConnectionPool,
    fleet: Fleet,
    unleased: list[WantedSession],
) -> None:
    """With no free worker, a session that nobody holds says so (state idle, the reason)."""
    if fleet.free > 0:
        return
    writer = EventWriter(pg, redis, channel=names.events_channel)
    for s in unleased:
        if (s.state, s.state_reason) == (SessionState.IDLE, Reason.WAITING_FOR_WORKER):
            continue
        async with writer.unit() as unit:
            previous = await sessions.mark_waiting(unit.conn, session_id=s.id, fence=s.fence)
            if previous is None:
                continue
            data = events.StateData(
                state=SessionState.IDLE,
                previous=SessionState(previous),
                reason=Reason.WAITING_FOR_WORKER,
                detail=None,
            )
            unit.emit(events.StateEvent(session_id=s.id, company_id=s.company_id, data=data))
        log.info("session=%s state=%s->idle reason=waiting_for_worker", s.id, previous)
