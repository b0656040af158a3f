"""Worker registration and heartbeat: the ``wa:worker:{id}`` hash (TTL) and ``wa:workers`` index."""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import WORKER_TTL_S, RedisNames

log = logging.getLogger(__name__)


@dataclass
class WorkerStatus:
    """What an operator sees of a worker; mutated by the process, written on every beat."""

    worker_id: str
    # the host label (APP_HOST_LABEL): placement and drain count workers by it
    host: str = field(default_factory=socket.gethostname)
    state: str = "idle"  # idle | starting | owning | stopping
    session_id: str = ""
    browser_pss_mb: float = 0.0
    started_at: float = field(default_factory=time.time)

    def fields(self) -> dict[str, str]:
        return {
            "host": self.host,
            "pid": str(os.getpid()),
            "state": self.state,
            "session_id": self.session_id,
            "started_at": f"{self.started_at:.3f}",
            "heartbeat_at": f"{time.time():.3f}",
            "browser_pss_mb": f"{self.browser_pss_mb:.1f}",
        }


async def beat(redis: Redis, names: RedisNames, status: WorkerStatus) -> None:
    key = names.worker_key(status.worker_id)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=status.fields())
            pipe.expire(key, WORKER_TTL_S)
            pipe.zadd(names.workers_index, {status.worker_id: time.time()})
            # forget workers that stopped beating long ago, so the index stays small
            pipe.zremrangebyscore(names.workers_index, "-inf", time.time() - 3600)
            await pipe.execute()
    except RedisError as exc:
        log.warning("worker=%s heartbeat failed: %s", status.worker_id, exc)


async def unregister(redis: Redis, names: RedisNames, worker_id: str) -> None:
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.delete(names.worker_key(worker_id))
            pipe.zrem(names.workers_index, worker_id)
            await pipe.execute()
    except RedisError as exc:
        log.warning("worker=%s unregister failed: %s", worker_id, exc)
