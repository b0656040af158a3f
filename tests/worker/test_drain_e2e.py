"""Draining a host with real workers: the drained host's session moves to the other host by
hand-off (no new QR), its worker stays idle, and new sessions go to the other host; taken back,
it takes sessions again."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from shared import events
from tests.support.databases import NAMES
from tests.support.events import Predicate, is_state, of_type
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e


async def test_a_drained_hosts_session_moves_by_hand_off(stack: Stack) -> None:
    stack.start_worker("a1", APP_HOST_LABEL="host-a")
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, unique_phone(), "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready on host-a")
    await asyncio.sleep(6)  # Chromium writes the link to the profile meanwhile
    stack.start_worker("b1", APP_HOST_LABEL="host-b")
    stack.start_worker("b2", APP_HOST_LABEL="host-b")
    mark = len(stack.tap.seen)

    await stack.redis.sadd(NAMES.draining_hosts, "host-a")  # type: ignore[misc]
    await stack.tap.wait_for(
        lambda e: is_state("idle", "worker_restart")(e) and stack.tap.seen.index(e) >= mark,
        30,
        "hand-off",
    )
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
        60,
        "ready on host-b",
    )
    moved = await stack.session_row(session_id)
    assert moved.worker_id in ("b1", "b2")
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"

    # a new session goes to host-b's free worker, never to the drained host's idle one
    second = await stack.new_session("second")
    await stack.tap.wait_for(
        lambda e: e.type == "qr" and e.session_id == second, 60, "qr of the second session"
    )
    assert (await stack.session_row(second)).worker_id in ("b1", "b2")
    state = await stack.redis.hget(NAMES.worker_key("a1"), "state")  # type: ignore[misc]
    assert state == b"idle"


def _qr_of(session_id: UUID) -> Predicate:
    return lambda e: e.type == "qr" and e.session_id == session_id


async def test_sessions_spread_across_hosts(stack: Stack) -> None:
    """Two hosts of two workers: the second session goes to the host that has none yet."""
    for worker_id, host in (("a1", "host-a"), ("a2", "host-a"), ("b1", "host-b"), ("b2", "host-b")):
        stack.start_worker(worker_id, APP_HOST_LABEL=host)
    for _ in range(100):  # every worker beats once: placement counts them
        if len(await stack.redis.zrange(NAMES.workers_index, 0, -1)) == 4:
            break
        await asyncio.sleep(0.1)
    hosts = []
    for name in ("one", "two"):
        sid = await stack.new_session(name)
        await stack.tap.wait_for(_qr_of(sid), 60, name)
        worker = (await stack.session_row(sid)).worker_id
        assert worker is not None
        hosts.append(worker[0])
    assert sorted(hosts) == ["a", "b"], stack.logs()
