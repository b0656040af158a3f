"""A holder cut off from Redis (network gone, not the process): it stops driving its browser
while its lease still stands, another worker takes the session over with a newer fencing token,
ready without a new QR."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shared import events
from shared.db.repos import sessions
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone
from tests.support.tcp_proxy import TcpProxy, target_of, via

pytestmark = pytest.mark.e2e


async def _until_logged(stack: Stack, index: int, text: str, timeout_s: float) -> None:
    for _ in range(int(timeout_s * 10)):
        if text in stack.workers[index].output():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{text!r} never logged\n{stack.logs()}")


async def test_a_holder_cut_off_from_redis_stops_and_another_takes_over(stack: Stack) -> None:
    proxy = TcpProxy(*target_of(stack.settings.redis_url, 6379))
    await proxy.start()
    try:
        stack.start_worker("w1", APP_REDIS_URL=via(stack.settings.redis_url, proxy.port))
        session_id = await stack.new_session()
        qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
        assert isinstance(qr, events.QrEvent)
        await stack.sim.link(qr.data.qr_raw, unique_phone(), "Shop")
        await stack.tap.wait_for(is_state("ready"), 60, "ready on w1")
        first = await stack.session_row(session_id)
        assert first.worker_id == "w1" and first.fence > 0

        stack.start_worker("w2")
        mark = len(stack.tap.seen)
        # a partition: w1's Redis stops answering (its connections stay open, as across a cut
        # network: Redis sees no close); its Postgres stays reachable
        proxy.blackhole()
        await _until_logged(stack, 0, "giving the session up", 10)
        await _until_logged(stack, 0, "released end=lease_lost", 15)
        await stack.tap.wait_for(
            lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
            60,
            "ready on w2",
        )
        moved = await stack.session_row(session_id)
        assert moved.worker_id == "w2" and moved.fence > first.fence
        assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
        # w1 gave up before w2 was granted the session: nothing of w1's was refused
        w1 = stack.workers[0].output()
        assert w1.index("giving the session up") < w1.index("released end=lease_lost")
        assert "write refused" not in w1
    finally:
        await proxy.close()


async def test_a_write_with_an_older_token_is_refused_and_the_worker_drops_the_session(
    stack: Stack,
) -> None:
    """A later grant (as after a Redis restart that lost the lease) makes the running holder's
    next write fail: counted, logged once, the session dropped; the message it could not store
    is caught up by the next holder, once."""
    stack.start_worker("w1")
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    phone, contact = unique_phone(), unique_phone()
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready on w1")
    async with stack.pg.connection() as conn:  # another grant, behind w1's back
        newer = await sessions.worker_grant(conn, session_id=session_id, worker_id="w-elsewhere")
    assert newer is not None
    mark = len(stack.tap.seen)
    await stack.sim.inbound(phone, contact, "arrives after the grant", name="Bob")
    await _until_logged(stack, 0, "write refused: fencing token", 30)
    await _until_logged(stack, 0, "released end=lease_lost", 15)
    async with stack.pg.connection() as conn:
        assert await sessions.count_fence_refusals(conn) >= 1
    # its lease runs out; the session comes back (the same worker may take it), with the message
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
        60,
        "ready again",
    )
    for _ in range(100):
        async with stack.pg.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) AS n FROM wa_messages WHERE session_id = %(s)s AND body = %(b)s",
                {"s": session_id, "b": "arrives after the grant"},
            )
            row: Any = await cur.fetchone()
        if row["n"]:
            break
        await asyncio.sleep(0.2)
    assert row["n"] == 1, stack.logs()
    assert stack.workers[0].output().count("write refused: fencing token") == 1
