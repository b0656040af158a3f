"""Failover under faults, on two "hosts" (workers with separate profile directories): the holder
killed during an inbound burst and during sends, Redis restarted, Postgres restarted, the
holder's network cut while the other host takes over. Nothing inbound is lost, nothing is sent
twice, the session comes back without a QR, and the cut-off holder's late writes are refused."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from uuid import UUID

import pytest

from shared.fencing import Fence, StaleFence
from shared.settings import Settings
from shared.states import SessionState
from tests.support.chaos import Cluster, unique_phone
from tests.support.databases import NAMES, REDIS_PREFIX
from worker.fenced import FencedPool
from worker.publisher import Publisher
from worker.snapshots.keeper import SnapshotKeeper
from worker.snapshots.store import PostgresSnapshotStore

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

FINAL = {"sent", "delivered", "read", "unconfirmed", "failed"}


async def all_inbound(cluster: Cluster, sid: object, prefix: str, n: int) -> Counter[str]:
    async def check() -> Counter[str] | None:
        got = await cluster.inbound_counts(sid, prefix)  # type: ignore[arg-type]
        return got if len(got) >= n else None

    counts: Counter[str] = await cluster.wait(f"{n} inbound {prefix!r} stored", check, 60)
    return counts


async def burst(cluster: Cluster, phone: str, contact: str, bodies: list[str]) -> None:
    for body in bodies:
        await cluster.sim.inbound(phone, contact, body, name="Bob")
        await asyncio.sleep(0.05)


async def test_holder_killed_during_an_inbound_burst(cluster: Cluster) -> None:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    await cluster.start_worker("B")
    contact, bodies = unique_phone(), [f"burst {i:02d}" for i in range(20)]
    mark = await cluster.last_event_id()
    sending = asyncio.create_task(burst(cluster, phone, contact, bodies))
    await asyncio.sleep(0.4)
    cluster.hosts["A"].worker.kill()
    await sending
    await cluster.ready_on(sid, "B")
    assert await cluster.qr_events_since(sid, mark) == 0, "a new QR was shown"
    counts = await all_inbound(cluster, sid, "burst ", len(bodies))
    assert counts == Counter({b: 1 for b in bodies})  # none lost, none stored twice


async def test_holder_killed_during_sends(cluster: Cluster) -> None:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    await cluster.start_worker("B")
    contact = unique_phone()
    await cluster.sim.inbound(phone, contact, "hello", name="Bob")
    await all_inbound(cluster, sid, "hello", 1)
    bodies = [f"reply {i:02d}" for i in range(12)]
    await cluster.queue_sends(sid, f"{contact}@c.us", bodies)

    async def some_sent() -> bool:
        return sum((await cluster.received_by_contact(contact, "reply ")).values()) >= 3

    await cluster.wait("the first sends", some_sent, 60)
    cluster.hosts["A"].worker.kill()
    await cluster.ready_on(sid, "B")

    async def settled() -> dict[str, str] | None:
        got = await cluster.out_statuses(sid, "reply ")
        return got if all(s in FINAL for s in got.values()) and len(got) == len(bodies) else None

    statuses = await cluster.wait("every send settled", settled, 60)
    received = await cluster.received_by_contact(contact, "reply ")
    assert [b for b, n in received.items() if n > 1] == [], "sent twice"
    lost = [b for b in bodies if received[b] == 0 and statuses[b] not in ("unconfirmed", "failed")]
    assert lost == [], f"neither sent nor marked: {lost} {statuses}"


async def test_redis_restarted(cluster: Cluster) -> None:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    await cluster.start_worker("B")
    mark = await cluster.last_event_id()
    cluster.redis_server.restart()
    contact = unique_phone()
    await burst(cluster, phone, contact, [f"after redis {i}" for i in range(5)])
    counts = await all_inbound(cluster, sid, "after redis ", 5)
    assert set(counts.values()) == {1}
    row = await cluster.row(sid)
    assert row.state == "ready" or await cluster.wait("ready", lambda: _ready(cluster, sid))
    assert await cluster.qr_events_since(sid, mark) == 0


async def test_postgres_restarted(cluster: Cluster) -> None:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    await cluster.start_worker("B")
    mark = await cluster.last_event_id()
    contact = unique_phone()
    cluster.pg_server.stop()  # a crash: immediate stop, recovery on start
    await burst(cluster, phone, contact, [f"while pg down {i}" for i in range(5)])
    await asyncio.sleep(2)
    cluster.pg_server.start()
    await cluster.pg.check()
    counts = await all_inbound(cluster, sid, "while pg down ", 5)
    assert set(counts.values()) == {1}
    await cluster.wait("ready", lambda: _ready(cluster, sid))
    assert await cluster.qr_events_since(sid, mark) == 0


async def test_cut_off_holder_is_replaced_and_its_late_writes_refused(cluster: Cluster) -> None:
    await cluster.start_worker("A")
    sid, phone = await cluster.link("A")
    held = await cluster.row(sid)
    await cluster.start_worker("B")
    mark = await cluster.last_event_id()
    await cluster.hosts["A"].cut()
    contact = unique_phone()
    await burst(cluster, phone, contact, [f"during the cut {i}" for i in range(5)])
    await cluster.ready_on(sid, "B")
    assert await cluster.qr_events_since(sid, mark) == 0
    counts = await all_inbound(cluster, sid, "during the cut ", 5)
    assert set(counts.values()) == {1}

    # A's network comes back: whatever it still tries under its old token is refused
    await cluster.hosts["A"].restore()
    accepted = await stale_writes_accepted(cluster, Fence(sid, held.fence), held.company_id)
    assert accepted == 0
    await asyncio.sleep(2)
    row = await cluster.row(sid)
    assert (row.state, row.worker_id.split("-")[0]) == ("ready", "B")


async def stale_writes_accepted(cluster: Cluster, fence: Fence, company_id: UUID) -> int:
    """Every kind of write a worker makes for its session (state, identity, snapshot) under the
    replaced holder's token: how many Postgres accepted."""
    pool = FencedPool(cluster.pg_server.url, fence=fence, on_refused=lambda _: None)
    await pool.open(wait=True, timeout=10)
    publisher = Publisher(
        pool, cluster.arq, channel=NAMES.events_channel, session_id=fence.session_id,
        company_id=company_id, worker_id="A-stale",
    )  # fmt: skip
    settings = Settings(mode="test", wa_url=cluster.sim_url, redis_prefix=REDIS_PREFIX)
    keeper = SnapshotKeeper(
        settings, PostgresSnapshotStore(pool), cluster.arq, session_id=fence.session_id,
        worker_id="A-stale",
    )  # fmt: skip
    await keeper.restore(next(cluster.hosts["A"].profile_dir.iterdir()))
    writes: list[Awaitable[object]] = [
        publisher.transition(SessionState.DISCONNECTED, "network_lost"),
        publisher.forget_identity(),
        publisher.ready("15550000000", "Stale", None),
        keeper.snapshot(force=True),
    ]
    accepted = 0
    try:
        for write in writes:
            try:
                await write
                accepted += 1
            except StaleFence:
                pass
    finally:
        await pool.close()
    return accepted


async def _ready(cluster: Cluster, sid: object) -> bool:
    row = await cluster.row(sid)  # type: ignore[arg-type]
    return bool(row and row.state == "ready")
