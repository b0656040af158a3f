"""Failover: SIGTERM hands a session to another worker without a new QR; kill -9 lets it expire."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from shared import events
from shared.db.repos import chats, messages
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e


async def _wait_ready(
    stack: Stack, session_id: UUID, after: int, reason: str | None = None
) -> None:
    await stack.tap.wait_for(
        lambda e: is_state("ready", reason)(e) and stack.tap.seen.index(e) >= after, 90, "ready"
    )


async def _inbound_stored(stack: Stack, session_id: UUID, wa_chat_id: str, body: str) -> None:
    assert stack.company_id is not None
    for _ in range(300):
        async with stack.pg.connection() as conn:
            chat = await chats.worker_get_by_wa_id(
                conn, session_id=session_id, wa_chat_id=wa_chat_id
            )
            if chat is not None:
                rows = await messages.list_for_chat(
                    conn,
                    company_id=stack.company_id,
                    session_id=session_id,
                    chat_id=chat.id,
                    limit=100,
                )
                if any(m.body == body for m in rows):
                    assert sum(m.body == body for m in rows) == 1
                    return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{body!r} was never stored\n{stack.logs()}")


async def test_sigterm_hands_off_without_new_qr_and_kill9_expires(stack: Stack) -> None:
    w1 = stack.start_worker("w1")
    session_id = await stack.new_session()
    phone, contact = unique_phone(), unique_phone()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready on w1")
    assert (await stack.session_row(session_id)).worker_id == "w1"
    # a stop within seconds of the link may lose it (Chromium writes Local Storage late, a
    # documented limit): w1 is stopped once the link is on disk
    await stack.wait_snapshot(session_id)

    # a second worker waits idle; w1 is asked to stop (SIGTERM)
    stack.start_worker("w2")
    mark = len(stack.tap.seen)
    assert w1.terminate(timeout_s=60) == 0, stack.logs()
    await stack.tap.wait_for(is_state("idle", "worker_restart"), 10, "handoff")
    # while nobody drives the session, a customer writes
    await stack.sim.inbound(phone, contact, "sent while the worker was away", name="Bob")
    await _wait_ready(stack, session_id, mark, "restored")
    restored = await stack.session_row(session_id)
    assert (restored.worker_id, restored.phone, restored.display_name) == ("w2", phone, "Shop")
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
    await _inbound_stored(stack, session_id, f"{contact}@c.us", "sent while the worker was away")

    # a crash: kill -9 the owner; its lease expires and a third worker takes over
    stack.start_worker("w3")
    mark = len(stack.tap.seen)
    stack.workers[1].kill()
    await stack.sim.inbound(phone, contact, "sent after the crash", name="Bob")
    await _wait_ready(stack, session_id, mark, "restored")
    assert (await stack.session_row(session_id)).worker_id == "w3"
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"]
    await _inbound_stored(stack, session_id, f"{contact}@c.us", "sent after the crash")


async def test_a_sigterm_right_after_the_link_waits_until_it_is_on_disk(stack: Stack) -> None:
    w1 = stack.start_worker("w1")
    phone = unique_phone()
    session_id = await stack.new_linked_session(phone)
    # no wait for the first snapshot: the stop comes within a second of the link
    stack.start_worker("w2")
    mark = len(stack.tap.seen)
    assert w1.terminate(timeout_s=60) == 0, stack.logs()
    assert "the browser closes once it is on disk" in w1.output(), w1.output()[-3000:]
    await _wait_ready(stack, session_id, mark, "restored")
    restored = await stack.session_row(session_id)
    assert (restored.worker_id, restored.phone) == ("w2", phone)
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
