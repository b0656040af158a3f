"""Session commands over arq and operator control over ``wa:ctl:{worker}``, end to end."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest

from shared import events, jobs
from shared.db.repos import chats
from shared.queues import enqueue_command
from tests.support.databases import NAMES
from tests.support.events import is_state, of_type
from tests.support.stack import BOTH, Stack, unique_phone

pytestmark = pytest.mark.e2e


async def _ready(stack: Stack, phone: str) -> UUID:
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready")
    return session_id


async def _command(stack: Stack, session_id: UUID, name: str) -> None:
    await enqueue_command(
        stack.arq, NAMES, str(session_id), name, jobs.SessionCommand(session_id=session_id)
    )


@pytest.mark.parametrize("bridge", BOTH)
async def test_commands_sync_restart_logout(stack: Stack) -> None:
    worker = stack.start_worker("w1")
    phone = unique_phone()
    session_id = await _ready(stack, phone)

    # sync_chats: chats that exist on the phone are stored
    await stack.sim.seed_chats(phone, 5)
    await _command(stack, session_id, jobs.SYNC_CHATS)
    for _ in range(100):
        async with stack.pg.connection() as conn:
            assert stack.company_id is not None
            _, total = await chats.list_for_session(
                conn, company_id=stack.company_id, session_id=session_id, limit=50, offset=0
            )
        if total >= 5:
            break
        await asyncio.sleep(0.2)
    assert total >= 5, stack.logs()

    # heartbeat: the operator sees the worker owning the session, with browser memory
    for _ in range(60):  # memory is measured on the next beat (every 5 s)
        pending: Any = stack.redis.hgetall(NAMES.worker_key("w1"))  # redis-py types this loosely
        fields = await pending
        if float(fields.get(b"browser_pss_mb", 0)) > 0:
            break
        await asyncio.sleep(0.25)
    assert fields[b"state"] == b"owning" and fields[b"session_id"] == str(session_id).encode()
    assert float(fields[b"browser_pss_mb"]) > 0

    # restart: the session is handed back to the pool and comes up linked, no new QR
    mark = len(stack.tap.seen)
    await _command(stack, session_id, jobs.RESTART)
    await stack.tap.wait_for(is_state("idle", "worker_restart"), 30, "handed off")
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) > mark, 60, "back"
    )
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"]

    # logout (admin disconnect): the device is unlinked on the phone and the session stops
    await _command(stack, session_id, jobs.LOGOUT)
    await stack.tap.wait_for(is_state("stopped", "disconnected_by_admin"), 30, "stopped")
    linked = [d for d in await stack.sim.devices() if d.get("phone") == phone]
    assert all(d["status"] != "linked" for d in linked), linked
    assert worker.alive()


async def test_operator_restart_and_stop_over_ctl(stack: Stack) -> None:
    worker = stack.start_worker("w1")
    phone = unique_phone()
    session_id = await _ready(stack, phone)

    mark = len(stack.tap.seen)
    await stack.redis.publish(NAMES.ctl_channel("w1"), "restart")
    await stack.tap.wait_for(is_state("idle", "worker_restart"), 30, "handed off")
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) > mark, 60, "back"
    )
    assert (await stack.session_row(session_id)).worker_id == "w1"  # it rejoined the pool

    await stack.redis.publish(NAMES.ctl_channel("w1"), "stop")
    code = await asyncio.to_thread(worker.popen.wait, 60)
    assert code == 0, stack.logs()
    assert await stack.redis.exists(NAMES.worker_key("w1")) == 0


@pytest.mark.parametrize("bridge", BOTH)
async def test_qr_never_scanned_stops_with_qr_timeout(stack: Stack) -> None:
    await stack.sim.config(qrFirstMs=800, qrRotateMs=600, qrCount=2)
    stack.start_worker("w1")
    session_id = await stack.new_session()
    await stack.tap.wait_for(is_state("stopped", "qr_timeout"), 60, "qr timeout")
    row = await stack.session_row(session_id)
    assert (row.state, row.desired_state) == ("stopped", "stopped")
    assert stack.tap.count(of_type("qr")) >= 2
