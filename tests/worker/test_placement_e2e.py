"""Placement with real workers: a drained host's session moves to the other host by hand-off (no
new QR) while its idle worker takes nothing; sessions spread across hosts; with two workers busy,
a third session says it waits for a free worker, and is taken when one frees up."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from shared import events, jobs
from shared.db.repos import sessions
from shared.queues import enqueue_command
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


async def test_a_third_session_with_two_busy_workers_waits_for_a_worker(stack: Stack) -> None:
    stack.start_worker("w1")
    stack.start_worker("w2")
    first, second = await stack.new_session("one"), await stack.new_session("two")
    for sid in (first, second):
        await stack.tap.wait_for(_qr_of(sid), 60, "qr")
    third = await stack.new_session("three")
    await stack.tap.wait_for(
        lambda e: is_state("idle", "waiting_for_worker")(e) and e.session_id == third,
        15,
        "waiting_for_worker",
    )
    row = await stack.session_row(third)
    assert (row.state, row.state_reason) == ("idle", "waiting_for_worker")
    async with stack.pg.connection() as conn:  # an admin stops the first: its worker frees up
        await sessions.set_desired(
            conn, company_id=row.company_id, session_id=first, desired_state="stopped"
        )
    await enqueue_command(
        stack.arq, NAMES, str(first), "stop", jobs.SessionCommand(session_id=first)
    )
    await stack.tap.wait_for(_qr_of(third), 60, "the third session's qr")
