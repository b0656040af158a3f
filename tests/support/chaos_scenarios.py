"""The faults of issue 16, each as one scenario on a ``Cluster`` returning its figures; the chaos
tests assert them and ``make chaos`` prints them (one home for both)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from shared.fencing import Fence, StaleFence
from shared.settings import Settings
from shared.states import SessionState
from tests.support.chaos import Cluster, unique_phone
from tests.support.databases import NAMES, REDIS_PREFIX
from worker.fenced import FencedPool
from worker.publisher import Publisher
from worker.snapshots import files
from worker.snapshots.keeper import SnapshotKeeper
from worker.snapshots.store import PostgresSnapshotStore

# a send ends in one of these; "unconfirmed": it may have gone out, and is never sent again
FINAL = {"sent", "delivered", "read", "unconfirmed", "failed"}
Figures = dict[str, Any]
Scenario = Callable[[Cluster, UUID, str], Awaitable[Figures]]


async def burst(cluster: Cluster, phone: str, contact: str, bodies: list[str]) -> None:
    for body in bodies:
        await cluster.sim.inbound(phone, contact, body, name="Bob")
        await asyncio.sleep(0.05)


async def stored_inbound(
    cluster: Cluster, sid: UUID, prefix: str, n: int, timeout_s: float = 60
) -> Counter[str]:
    """The stored inbound bodies starting with ``prefix`` once ``n`` are there (or the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = await cluster.inbound_counts(sid, prefix)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


def inbound_figures(bodies: list[str], stored: Counter[str]) -> Figures:
    return {
        "inbound_sent": len(bodies),
        "inbound_lost": sum(1 for b in bodies if stored[b] == 0),
        "inbound_stored_twice": sum(1 for b in bodies if stored[b] > 1),
    }


async def failover(cluster: Cluster, sid: UUID, holder: str, other: str) -> Figures:
    """kill -9 of ``holder``'s worker: seconds until the session is ready on ``other``, and the
    QR codes shown meanwhile."""
    mark = await cluster.last_event_id()
    started = time.monotonic()
    cluster.hosts[holder].worker.kill()
    await cluster.ready_on(sid, other, mark)
    return {
        "ready_s": round(time.monotonic() - started, 2),
        "qr_shown": await cluster.qr_events_since(sid, mark),
    }


async def killed_during_inbound_burst(cluster: Cluster, sid: UUID, phone: str) -> Figures:
    contact, bodies = unique_phone(), [f"burst {i:02d}" for i in range(20)]
    sending = asyncio.create_task(burst(cluster, phone, contact, bodies))
    await asyncio.sleep(0.4)
    moved = await failover(cluster, sid, "A", "B")
    await sending
    stored = await stored_inbound(cluster, sid, "burst ", len(bodies))
    return {**moved, **inbound_figures(bodies, stored)}


async def killed_during_sends(cluster: Cluster, sid: UUID, phone: str) -> Figures:
    contact = unique_phone()
    await cluster.sim.inbound(phone, contact, "hello", name="Bob")
    await stored_inbound(cluster, sid, "hello", 1)
    bodies = [f"reply {i:02d}" for i in range(12)]
    await cluster.queue_sends(sid, f"{contact}@c.us", bodies)

    async def some_sent() -> bool:
        return sum((await cluster.received_by_contact(phone, contact, "reply ")).values()) >= 3

    await cluster.wait("the first sends", some_sent, 60)
    moved = await failover(cluster, sid, "A", "B")

    async def settled() -> dict[str, str] | None:
        got = await cluster.out_statuses(sid, "reply ")
        return got if len(got) == len(bodies) and all(s in FINAL for s in got.values()) else None

    statuses: dict[str, str] = await cluster.wait("every send settled", settled, 60)
    received = await cluster.received_by_contact(phone, contact, "reply ")
    return {
        **moved,
        "sends": len(bodies),
        "sent_twice": sum(1 for b in bodies if received[b] > 1),
        # neither received by the contact nor marked unconfirmed/failed: lost silently
        "sends_lost": sum(
            1 for b in bodies if received[b] == 0 and statuses[b] not in ("unconfirmed", "failed")
        ),
        "sends_unconfirmed": sum(1 for b in bodies if statuses[b] == "unconfirmed"),
    }


async def redis_restarted(cluster: Cluster, sid: UUID, phone: str) -> Figures:
    mark = await cluster.last_event_id()
    cluster.redis_server.restart()
    bodies = [f"after redis {i}" for i in range(5)]
    await burst(cluster, phone, unique_phone(), bodies)
    stored = await stored_inbound(cluster, sid, "after redis ", len(bodies))
    await cluster.wait("ready", lambda: _ready(cluster, sid))
    return {**inbound_figures(bodies, stored), "qr_shown": await cluster.qr_events_since(sid, mark)}


async def postgres_restarted(cluster: Cluster, sid: UUID, phone: str) -> Figures:
    mark = await cluster.last_event_id()
    cluster.pg_server.stop()  # immediate: a crash, recovered on start
    bodies = [f"while pg down {i}" for i in range(5)]
    await burst(cluster, phone, unique_phone(), bodies)
    await asyncio.sleep(2)
    cluster.pg_server.start()
    await cluster.pg.check()
    stored = await stored_inbound(cluster, sid, "while pg down ", len(bodies))
    await cluster.wait("ready", lambda: _ready(cluster, sid))
    return {**inbound_figures(bodies, stored), "qr_shown": await cluster.qr_events_since(sid, mark)}


async def network_cut(cluster: Cluster, sid: UUID, phone: str) -> Figures:
    """A's network to Redis and Postgres goes while B takes over; then it comes back."""
    held = await cluster.row(sid)
    mark = await cluster.last_event_id()
    started = time.monotonic()
    await cluster.hosts["A"].cut()
    bodies = [f"during the cut {i}" for i in range(5)]
    await burst(cluster, phone, unique_phone(), bodies)
    await cluster.ready_on(sid, "B", mark)
    ready_s = round(time.monotonic() - started, 2)
    stored = await stored_inbound(cluster, sid, "during the cut ", len(bodies))
    await cluster.hosts["A"].restore()
    accepted = await stale_writes_accepted(cluster, Fence(sid, held.fence), held.company_id)
    await asyncio.sleep(2)  # whatever A still had in flight lands (or is refused) by now
    row = await cluster.row(sid)
    return {
        "ready_s": ready_s,
        "qr_shown": await cluster.qr_events_since(sid, mark),
        **inbound_figures(bodies, stored),
        "stale_writes_accepted": accepted,
        "holder_after": row.worker_id.split("-")[0],
        "state_after": row.state,
    }


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
    # the old holder's WhatsApp storage as it left it (a copy: its worker may still be closing)
    probe = cluster.root / "stale-probe"
    probe.mkdir()
    held = cluster.hosts["A"].profile_dir / str(fence.session_id)
    files.install(
        files.pack(held, cluster.sim_url, max_bytes=1 << 30).archive, probe, cluster.sim_url
    )
    accepted = 0
    try:
        await keeper.restore(probe)
        writes: list[Awaitable[object]] = [
            publisher.transition(SessionState.DISCONNECTED, "network_lost"),
            publisher.forget_identity(),
            publisher.ready("15550000000", "Stale", None),
        ]
        for write in writes:
            with contextlib.suppress(StaleFence):
                await write
                accepted += 1
        with contextlib.suppress(StaleFence):
            # None would mean "nothing to store": the probe profile always has state
            accepted += await keeper.snapshot(force=True) is not None
    finally:
        await pool.close()
        shutil.rmtree(probe, ignore_errors=True)
    return accepted


async def _ready(cluster: Cluster, sid: UUID) -> bool:
    row = await cluster.row(sid)
    return bool(row and row.state == "ready")
