"""Placement, waiting_for_worker and drain on real Redis and Postgres, with heartbeats written
as workers write them (no browser): the least-loaded host with a free worker takes the next
session, a session no free worker can take says so, and a drained host's sessions move one at a
time by hand-off."""

from __future__ import annotations

import asyncio
import json
import time

from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import event_log, sessions
from shared.fleet import Fleet, WorkerBeat, may_take_sessions, read_fleet
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.wa import seed_session
from worker.heartbeat import WorkerStatus, beat
from worker.reconciler import reconcile_once


def _w(worker_id: str, host: str, state: str = "idle", session_id: str = "") -> WorkerBeat:
    return WorkerBeat(worker_id, host, state, session_id, time.time())


def test_the_least_loaded_host_with_a_free_worker_is_preferred() -> None:
    fleet = Fleet(
        [
            _w("a1", "a", "owning", "s1"),
            _w("a2", "a"),
            _w("b1", "b"),
            _w("b2", "b"),
            _w("c1", "c", "owning", "s2"),  # c: no free worker
            WorkerBeat("gone", "b", "idle", "", time.time() - 600),  # its heartbeat stopped
        ],
        frozenset(),
    )
    assert fleet.preferred_hosts() == ["b"]
    hosts = fleet.hosts()
    assert (hosts["a"].free, hosts["a"].busy, hosts["b"].free, hosts["c"].busy) == (1, 1, 2, 1)
    assert (fleet.free, fleet.busy) == (3, 2)
    # a draining host takes nothing, and its idle workers are not free
    draining = Fleet(fleet.workers, frozenset({"b"}))
    assert draining.preferred_hosts() == ["a"]
    assert draining.hosts()["b"].draining and draining.hosts()["b"].free == 0
    assert draining.free == 1


async def _beat(
    redis: Redis, worker_id: str, host: str, state: str = "idle", sid: str = ""
) -> None:
    status = WorkerStatus(worker_id=worker_id, host=host, state=state, session_id=sid)
    await beat(redis, NAMES, status)


async def _pass(redis: Redis, pg: AsyncConnectionPool) -> list[str]:
    """One reconciler pass, as a worker runs it (the lock of the previous one dropped)."""
    await redis.delete(NAMES.reconcile_lock)
    arq = ArqRedis(connection_pool=redis.connection_pool)
    return await reconcile_once(arq, NAMES, pg, worker_id="w-r", period_s=1.0)


async def test_a_session_no_free_worker_can_take_waits_and_says_so(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    one, two = (
        await seed_session(pg, company, name="one"),
        await seed_session(pg, company, name="two"),
    )
    third = await seed_session(pg, company, name="three")
    await _beat(redis, "w1", "h1", "owning", str(one.id))
    await _beat(redis, "w2", "h2", "owning", str(two.id))
    await redis.set(NAMES.lease_key(str(one.id)), "w1")
    await redis.set(NAMES.lease_key(str(two.id)), "w2")
    alive = redis.pubsub()  # live workers listen on their control channel
    await alive.subscribe(NAMES.ctl_channel("w1"), NAMES.ctl_channel("w2"))
    assert await _pass(redis, pg) == [str(third.id)]  # queued for the first worker that frees up
    async with pg.connection() as conn:
        rows = {s: await sessions.worker_get(conn, session_id=s) for s in (one.id, third.id)}
        logged = await event_log.after(conn, company_id=company, after_id=0, limit=10)
    waiting = rows[third.id]
    assert waiting is not None and (waiting.state, waiting.state_reason) == (
        "idle",
        "waiting_for_worker",
    )
    held = rows[one.id]
    assert held is not None and held.state_reason is None  # held: untouched
    assert [(e.type, e.session_id) for e in logged] == [("state", third.id)]
    assert json.loads(await redis.get(NAMES.placement_key) or b"null") == []
    await _pass(redis, pg)  # said once
    async with pg.connection() as conn:
        assert len(await event_log.after(conn, company_id=company, after_id=0, limit=10)) == 1
    # a worker frees up: placement lets its host take the session
    await _beat(redis, "w2", "h2")
    await _pass(redis, pg)
    assert await may_take_sessions(redis, NAMES, "h2")
    assert not await may_take_sessions(redis, NAMES, "h1")
    await alive.aclose()  # type: ignore[no-untyped-call]


async def test_a_drained_host_hands_its_sessions_off_one_at_a_time(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    s1, s2 = (
        await seed_session(pg, company, name="one"),
        await seed_session(pg, company, name="two"),
    )
    await _beat(redis, "a1", "a", "owning", str(s1.id))
    await _beat(redis, "a2", "a", "owning", str(s2.id))
    await _beat(redis, "b1", "b")
    await _beat(redis, "b2", "b")
    for sid, w in ((s1.id, "a1"), (s2.id, "a2")):
        await redis.set(NAMES.lease_key(str(sid)), w)
    await redis.sadd(NAMES.draining_hosts, "a")  # type: ignore[misc]
    pubsub = redis.pubsub()  # as the live workers do
    await pubsub.subscribe(*(NAMES.ctl_channel(w) for w in ("a1", "a2", "b1", "b2")))

    async def restarted() -> list[str]:
        """The control messages of the last half second ("<worker>:<command>")."""
        got: list[str] = []
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if msg is not None:
                got.append(f"{msg['channel'].decode().rsplit(':', 1)[1]}:{msg['data'].decode()}")
        return got

    await _pass(redis, pg)
    assert await restarted() == ["a1:restart"]
    assert not await may_take_sessions(redis, NAMES, "a")  # a drained host takes nothing
    await _pass(redis, pg)  # s1 not yet held elsewhere: nothing else moves
    assert await restarted() == []
    # s1 arrives on host b; a1 is idle now (on a draining host)
    await redis.set(NAMES.lease_key(str(s1.id)), "b1")
    await _beat(redis, "b1", "b", "owning", str(s1.id))
    await _beat(redis, "a1", "a")
    await _pass(redis, pg)
    assert await restarted() == ["a2:restart"]
    fleet = await read_fleet(redis, NAMES)
    assert fleet.hosts()["a"].draining and fleet.hosts()["a"].idle_draining == 1
    await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_a_holder_whose_process_is_gone_loses_its_leases_early(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    """Its control subscription is gone: a pass notes it, a pass a second later expires its
    lease (the session is queued) — long before the lease's own TTL. A live holder keeps its own."""
    company = (await make_company()).id
    dead, kept = (
        await seed_session(pg, company, name="a"),
        await seed_session(pg, company, name="b"),
    )
    await redis.set(NAMES.lease_key(str(dead.id)), "w-dead", px=60_000)
    await redis.set(NAMES.lease_key(str(kept.id)), "w-alive", px=60_000)
    alive = redis.pubsub()
    await alive.subscribe(NAMES.ctl_channel("w-alive"))
    assert await _pass(redis, pg) == []  # first seen without its subscription
    assert await redis.get(NAMES.lease_key(str(dead.id))) == b"w-dead"
    await asyncio.sleep(1.1)
    assert await _pass(redis, pg) == [str(dead.id)]
    assert await redis.get(NAMES.lease_key(str(dead.id))) is None
    assert await redis.get(NAMES.lease_key(str(kept.id))) == b"w-alive"
    await alive.aclose()  # type: ignore[no-untyped-call]
