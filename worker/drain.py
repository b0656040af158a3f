"""Draining a host: its sessions move to other hosts one at a time, each by hand-off.

Run in the reconciler's pass (one worker at a time). The session on its way is kept in
``wa:drain:moving:{host}``; the next one moves only when another host's worker holds it (or
``DRAIN_MOVE_TIMEOUT_S`` passed). A move is the operator's worker restart: the holder stops
Chromium cleanly, releases the lease and re-queues the session; the draining host's idle
workers take nothing (placement), so another host's free worker resumes it without a QR.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from shared.constants import DRAIN_MOVE_TIMEOUT_S, RedisNames
from shared.fleet import Fleet

log = logging.getLogger(__name__)


async def _arrived(redis: Redis, names: RedisNames, fleet: Fleet, host: str, sid: str) -> bool:
    holder = await redis.get(names.lease_key(sid))
    if holder is None:
        return False  # between two workers
    return fleet.host_of(holder.decode()) not in (None, host)


async def drain_once(redis: Redis, names: RedisNames, fleet: Fleet) -> list[str]:
    """Move the next session of each draining host; returns the sessions asked to move."""
    moved: list[str] = []
    for host, load in fleet.hosts().items():
        if not load.draining:
            continue
        moving_key = names.drain_moving_key(host)
        moving = await redis.get(moving_key)
        if moving is not None:
            if not await _arrived(redis, names, fleet, host, moving.decode()):
                continue  # one at a time (the key's TTL bounds the wait)
            await redis.delete(moving_key)
            log.info("host=%s drain: session=%s moved", host, moving.decode())
        victim = next(
            (w for w in fleet.workers if w.alive and w.host == host and w.state == "owning"), None
        )
        if victim is None or fleet.free == 0:
            continue  # drained, or nowhere to go yet
        await redis.set(moving_key, victim.session_id, px=DRAIN_MOVE_TIMEOUT_S * 1000)
        await redis.publish(names.ctl_channel(victim.worker_id), "restart")
        log.info(
            "host=%s drain: session=%s handed off by worker=%s (%d left on the host)",
            host,
            victim.session_id,
            victim.worker_id,
            load.busy - 1,
        )
        moved.append(victim.session_id)
    return moved
