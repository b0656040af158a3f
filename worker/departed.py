"""Lease holders whose process is gone: found before their lease expires.

A worker subscribes to its control channel (``wa:ctl:{id}``) for as long as its process lives;
when the process dies (kill -9, OOM, a crash) its connection closes and Redis drops the
subscription at once. A holder seen without one on two reconciler passes at least
``CONFIRM_S`` apart has its leases expired, so its sessions move a few seconds sooner than the
lease TTL. A holder that is alive but briefly without the subscription (a Redis blip) loses its
session this way: that is safe (its renewals fail, it drops the session, fencing refuses its
writes) and only costs a hand-off.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from shared.constants import RedisNames

CONFIRM_S = 1.0
MARK_TTL_MS = 30_000


async def departed(redis: Redis, names: RedisNames, holders: set[str]) -> set[str]:
    """The holders (worker ids) confirmed gone on this pass."""
    if not holders:
        return set()
    ordered = sorted(holders)
    counts = await redis.pubsub_numsub(*(names.ctl_channel(w) for w in ordered))
    now = time.time()
    gone: set[str] = set()
    for worker_id, (_, subscribers) in zip(ordered, counts, strict=True):
        key = names.departed_key(worker_id)
        if subscribers:
            await redis.delete(key)
            continue
        if await redis.set(key, f"{now:.3f}", nx=True, px=MARK_TTL_MS):
            continue  # first seen now: confirm on a later pass
        first = await redis.get(key)
        if first is not None and now - float(first) >= CONFIRM_S:
            gone.add(worker_id)
    return gone
