"""The memory watchdog end to end: a browser above APP_BROWSER_MAX_PSS_MB is recycled by a
hand-off once the session is quiet: no new QR, a message that comes meanwhile is kept once,
and the recycle is counted."""

from __future__ import annotations

import pytest

from shared import events
from shared.constants import RedisNames
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone
from tests.worker.test_failover_e2e import _inbound_stored
from worker.recycle import COUNTER

pytestmark = pytest.mark.e2e


async def test_a_browser_over_its_memory_limit_is_recycled_without_a_new_qr(
    stack: Stack,
) -> None:
    # 1 MB: every reading is over the limit, so a recycle comes after three heartbeats
    stack.start_worker("w1", APP_BROWSER_MAX_PSS_MB="1")
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    phone, contact = unique_phone(), unique_phone()
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready")
    mark = len(stack.tap.seen)

    await stack.tap.wait_for(is_state("idle", "worker_restart"), 60, "recycle hand-off")
    await stack.sim.inbound(phone, contact, "sent during the recycle", name="Bob")
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
        90,
        "restored",
    )
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
    await _inbound_stored(stack, session_id, f"{contact}@c.us", "sent during the recycle")
    count = await stack.redis.hget(RedisNames.of(stack.settings).worker_counters, COUNTER)  # type: ignore[misc]
    assert count is not None and int(count) >= 1
    assert "recycling the browser (memory)" in stack.workers[0].output()
