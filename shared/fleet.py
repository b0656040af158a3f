"""The workers as a fleet: their heartbeats read back, counted per host (free, busy, draining),
and where the next session should go (the least-loaded host with a free worker).

Read by the gateway (/health, /metrics, the operators' hosts) and by workers (the reconciler's
placement and drain passes). Writes only the placement hint and the draining set.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import cast

from redis.asyncio import Redis

from shared.constants import WORKER_TTL_S, RedisNames

BUSY_STATES = frozenset({"starting", "owning", "stopping"})
# the placement hint outlives a few reconciler passes; a fleet with no writer falls back to
# "any idle worker"
PLACEMENT_TTL_MS = 5000


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """One worker's heartbeat hash, as far as placement cares."""

    worker_id: str
    host: str
    state: str  # idle | starting | owning | stopping
    session_id: str
    heartbeat_at: float

    @property
    def alive(self) -> bool:
        return self.heartbeat_at >= time.time() - WORKER_TTL_S

    @property
    def busy(self) -> bool:
        return self.state in BUSY_STATES


@dataclass
class HostLoad:
    host: str
    free: int = 0  # live idle workers (0 when draining: they take nothing)
    busy: int = 0  # live workers owning (or starting, or stopping) a session
    idle_draining: int = 0  # live idle workers of a draining host
    draining: bool = False
    sessions: list[str] = field(default_factory=list)

    @property
    def load(self) -> float:
        total = self.free + self.busy + self.idle_draining
        return self.busy / total if total else 1.0


@dataclass(frozen=True, slots=True)
class Fleet:
    workers: list[WorkerBeat]
    draining: frozenset[str]

    def hosts(self) -> dict[str, HostLoad]:
        loads: dict[str, HostLoad] = {h: HostLoad(h, draining=True) for h in self.draining}
        for w in self.workers:
            if not w.alive:
                continue
            load = loads.setdefault(w.host, HostLoad(w.host))
            if w.busy:
                load.busy += 1
                if w.session_id:
                    load.sessions.append(w.session_id)
            elif load.draining:
                load.idle_draining += 1
            else:
                load.free += 1
        return dict(sorted(loads.items()))

    @property
    def free(self) -> int:
        return sum(h.free for h in self.hosts().values())

    @property
    def busy(self) -> int:
        return sum(h.busy for h in self.hosts().values())

    def preferred_hosts(self) -> list[str]:
        """Hosts whose idle workers should take the next session: those with a free worker and
        the lowest share of busy workers (placement spreads sessions across hosts)."""
        open_hosts = [h for h in self.hosts().values() if h.free > 0]
        if not open_hosts:
            return []
        lowest = min(h.load for h in open_hosts)
        return [h.host for h in open_hosts if h.load <= lowest + 1e-9]

    def host_of(self, worker_id: str) -> str | None:
        return next((w.host for w in self.workers if w.worker_id == worker_id and w.alive), None)


def _text(fields: dict[bytes, bytes], name: str) -> str:
    return fields.get(name.encode(), b"").decode(errors="replace")


def _beat(worker_id: str, fields: dict[bytes, bytes]) -> WorkerBeat | None:
    if not fields:
        return None
    try:
        at = float(_text(fields, "heartbeat_at") or 0)
    except ValueError:
        at = 0.0
    return WorkerBeat(
        worker_id=worker_id,
        host=_text(fields, "host") or "?",
        state=_text(fields, "state") or "idle",
        session_id=_text(fields, "session_id"),
        heartbeat_at=at,
    )


async def read_fleet(redis: Redis, names: RedisNames) -> Fleet:
    """Every worker that beat within the TTL, and the draining hosts (three round trips)."""
    raw_ids = await redis.zrangebyscore(names.workers_index, time.time() - WORKER_TTL_S, "+inf")
    ids = [r.decode() for r in raw_ids]
    async with redis.pipeline(transaction=False) as pipe:
        for worker_id in ids:
            pipe.hgetall(names.worker_key(worker_id))
        pipe.smembers(names.draining_hosts)
        *hashes, draining = await pipe.execute()
    beats = [b for w, h in zip(ids, hashes, strict=True) if (b := _beat(w, h)) is not None]
    return Fleet(beats, frozenset(d.decode() for d in draining))


async def publish_placement(redis: Redis, names: RedisNames, fleet: Fleet) -> list[str]:
    hosts = fleet.preferred_hosts()
    await redis.set(names.placement_key, json.dumps(hosts), px=PLACEMENT_TTL_MS)
    return hosts


async def may_take_sessions(redis: Redis, names: RedisNames, host: str) -> bool:
    """Whether an idle worker of ``host`` should pick start jobs now (no hint: yes)."""
    raw = await redis.get(names.placement_key)
    if raw is None:
        draining = cast("Awaitable[int]", redis.sismember(names.draining_hosts, host))
        return not await draining
    try:
        hosts = json.loads(raw)
    except ValueError:
        return True
    return host in hosts if isinstance(hosts, list) else True
