"""The module bridge end to end (the simulator's WPP stand-in on): nothing is opened to read, sends
reach any kind of chat without navigating, a restart catches up on what came meanwhile, and
without WPP ``auto`` falls back to the page while ``module`` says why it cannot run."""

from __future__ import annotations

import asyncio
import uuid
from uuid import UUID

import pytest

from shared import events, jobs
from shared.db.repos import chats, messages, sessions
from shared.db.types import Chat, Message
from shared.queues import enqueue_command
from tests.support.databases import NAMES
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e


async def _inbound_count(stack: Stack, n: int) -> None:
    for _ in range(300):
        if stack.tap.count(of_type("message")) >= n:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{stack.tap.count(of_type('message'))} of {n} messages\n{stack.logs()}")


async def _chat(stack: Stack, session_id: UUID, wa_id: str) -> Chat:
    for _ in range(100):
        async with stack.pg.connection() as conn:
            chat = await chats.worker_get_by_wa_id(conn, session_id=session_id, wa_chat_id=wa_id)
        if chat is not None:
            return chat
        await asyncio.sleep(0.1)
    raise AssertionError(f"no chat {wa_id}\n{stack.logs()}")


async def _bodies(stack: Stack, session_id: UUID, chat: Chat, n: int) -> list[str]:
    """The chat's stored bodies, oldest first, once there are ``n``."""
    assert stack.company_id is not None
    for _ in range(100):
        async with stack.pg.connection() as conn:
            got = await messages.list_for_chat(
                conn, company_id=stack.company_id, session_id=session_id, chat_id=chat.id, limit=50
            )
        if len(got) >= n:
            return [m.body for m in reversed(got)]
        await asyncio.sleep(0.1)
    raise AssertionError(f"chat {chat.wa_chat_id} has {len(got)} of {n}\n{stack.logs()}")


async def _send(
    stack: Stack,
    session_id: UUID,
    chat: Chat | None,
    body: str,
    to_phone: str | None = None,
    *,
    crashed_before: bool = False,
) -> Message:
    """What the gateway does: a pending row (in a new chat for a number), then the job;
    ``crashed_before``: as if a worker had died after taking it, before it reached WhatsApp."""
    async with stack.pg.connection() as conn:
        target = chat or await chats.worker_upsert(
            conn,
            session_id=session_id,
            wa_chat_id=f"{to_phone}@c.us",
            name=to_phone or "",
            is_group=False,
        )
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=session_id,
            chat_id=target.id,
            client_msg_id=uuid.uuid4().hex,
            body=body,
            sent_by_user_id=None,
        )
    if crashed_before:
        await stack.redis.set(NAMES.send_guard_key(str(msg.id)), "w-crashed", ex=600)
    job = jobs.SendText(
        session_id=session_id,
        message_id=msg.id,
        client_msg_id=msg.client_msg_id or "",
        body=body,
        wa_chat_id=None if to_phone else target.wa_chat_id,
        to_phone=to_phone,
    )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT, job.to_payload(), _queue_name=NAMES.session_queue(str(session_id))
    )
    return msg


async def _sent(stack: Stack, session_id: UUID, message_id: UUID) -> Message:
    for _ in range(300):
        async with stack.pg.connection() as conn:
            msg = await messages.worker_get(conn, session_id=session_id, message_id=message_id)
        assert msg is not None
        if msg.status in ("sent", "delivered", "read"):
            return msg
        assert msg.status != "failed", msg.error
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} not sent\n{stack.logs()}")


async def _unread(stack: Stack, phone: str) -> dict[str, int]:
    return {c["chatId"]: c["unreadCount"] for c in await stack.sim.chats(phone)}


async def test_twenty_chats_are_captured_without_opening_any(stack: Stack) -> None:
    stack.start_worker("w1")
    phone = unique_phone()
    session_id = await stack.new_linked_session(phone)
    row = await stack.session_row(session_id)
    assert row.bridge == "module" and row.lid and row.lid.endswith("@lid")
    assert f"session={session_id} bridge=module" in stack.logs()

    contacts = [unique_phone() for _ in range(20)]
    for i, contact in enumerate(contacts):
        await stack.sim.inbound(phone, contact, f"hello {i}\nsecond line 🙂", name=f"C{i}")
    await _inbound_count(stack, 20)
    got = sorted(
        (e.data.message.wa_chat_id, e.data.message.body)
        for e in stack.tap.seen
        if isinstance(e, events.MessageEvent)
    )
    assert got == sorted(
        (f"{c}@c.us", f"hello {i}\nsecond line 🙂") for i, c in enumerate(contacts)
    )
    chat = await _chat(stack, session_id, f"{contacts[0]}@c.us")
    assert chat.name == "C0"
    # no chat was opened to read them: WhatsApp still counts them unread
    unread = await _unread(stack, phone)
    assert all(unread[f"{c}@c.us"] == 1 for c in contacts), unread

    # marking one read goes through WhatsApp's module (markIsRead), the others stay unread
    args = jobs.MarkRead(session_id=session_id, wa_chat_id=chat.wa_chat_id)
    await enqueue_command(stack.arq, NAMES, str(session_id), jobs.MARK_READ, args)
    for _ in range(100):
        unread = await _unread(stack, phone)
        if unread[f"{contacts[0]}@c.us"] == 0:
            break
        await asyncio.sleep(0.1)
    assert unread[f"{contacts[0]}@c.us"] == 0 and unread[f"{contacts[1]}@c.us"] == 1


async def test_sends_to_a_new_number_a_lid_chat_and_a_group(stack: Stack) -> None:
    stack.start_worker("w1")
    phone, ann, lee, eve = unique_phone(), unique_phone(), unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(phone)

    # Ann writes from her number, then under her lid: one person, one chat, both ids
    await stack.sim.inbound(phone, ann, "from my number", name="Ann")
    await stack.sim.inbound(phone, ann, "from my lid", name="Ann", via="lid")
    # Lee is known by his lid only; Eve writes in a group
    await stack.sim.inbound(phone, lee, "lid only", name="Lee", via="lid")
    group = {"id": "120363000000000042", "name": "Crew"}
    await stack.sim.inbound(phone, eve, "in the group", name="Eve", group=group)
    await _inbound_count(stack, 4)
    people = {c["phoneJid"]: c["lid"] for c in await stack.sim.contacts(phone)}
    chat_ann = await _chat(stack, session_id, f"{ann}@c.us")
    assert (chat_ann.phone_jid, chat_ann.lid) == (f"{ann}@c.us", people[f"{ann}@c.us"])
    assert sorted(await _bodies(stack, session_id, chat_ann, 2)) == [
        "from my lid",
        "from my number",
    ]
    chat_lee = await _chat(stack, session_id, people[f"{lee}@c.us"])
    crew = await _chat(stack, session_id, "120363000000000042@g.us")
    assert crew.is_group and crew.name == "Crew"

    text = "Thanks! 🙂🍕\nsecond line\n\nafter a blank line"
    replies = [
        await _send(stack, session_id, chat_lee, f"to a lid: {text}"),
        await _send(stack, session_id, crew, f"to a group: {text}"),
        await _send(stack, session_id, chat_ann, f"to both ids: {text}"),
    ]
    newbie = unique_phone()  # the first try died before reaching WhatsApp: looked for, then sent
    replies.append(
        await _send(stack, session_id, None, f"new: {text}", to_phone=newbie, crashed_before=True)
    )
    sent = [await _sent(stack, session_id, r.id) for r in replies]
    at_contacts = {m["text"]: m for m in await stack.sim.sent(phone)}
    want = {
        f"to a lid: {text}": people[f"{lee}@c.us"],
        f"to a group: {text}": "120363000000000042@g.us",
        f"to both ids: {text}": f"{ann}@c.us",
        f"new: {text}": f"{newbie}@c.us",
    }
    assert {t: at_contacts[t]["chatId"] for t in want} == want
    assert [s.wa_msg_id for s in sent] == [at_contacts[t]["id"] for t in want]
    assert len(await stack.sim.sent(phone)) == 4  # each once
    row = await stack.session_row(session_id)
    assert row.bridge == "module" and row.page_drift == {}  # no fallback on the way


async def test_a_restart_catches_up_on_what_came_meanwhile(stack: Stack) -> None:
    first = stack.start_worker("w1")
    phone, ann, bob = unique_phone(), unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(phone)
    await stack.sim.inbound(phone, ann, "before", name="Ann")
    await _inbound_count(stack, 1)

    await stack.redis.publish(NAMES.ctl_channel("w1"), "stop")
    assert await asyncio.to_thread(first.popen.wait, 60) == 0, stack.logs()
    # while no worker watches: more from Ann, a new chat from Bob, one from the phone itself
    await stack.sim.inbound(phone, ann, "while away 1", name="Ann")
    await stack.sim.inbound(phone, ann, "while away 2", name="Ann")
    await stack.sim.inbound(phone, bob, "hi, new here", name="Bob")

    mark = len(stack.tap.seen)
    stack.start_worker("w2")
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) > mark, 60, "back"
    )
    await _inbound_count(stack, 4)
    chat_ann = await _chat(stack, session_id, f"{ann}@c.us")
    assert await _bodies(stack, session_id, chat_ann, 3) == [
        "before",
        "while away 1",
        "while away 2",
    ]
    chat_bob = await _chat(stack, session_id, f"{bob}@c.us")
    assert await _bodies(stack, session_id, chat_bob, 1) == ["hi, new here"]
    assert stack.tap.count(of_type("message")) == 4  # each published once
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"]


@pytest.mark.parametrize("bridge", ["page"])  # the simulator's WPP stand-in is off
async def test_without_wpp_auto_uses_the_page_and_module_says_why(stack: Stack) -> None:
    strict = stack.start_worker("w1", APP_BRIDGE="module", APP_BRIDGE_READY_S="2")
    session_id = await stack.new_session()
    blocked = await stack.tap.wait_for(is_state("blocked", "bridge_unavailable"), 60, "blocked")
    assert isinstance(blocked, events.StateEvent) and "APP_BRIDGE_READY_S" in (
        blocked.data.detail or ""
    )
    await stack.redis.publish(NAMES.ctl_channel("w1"), "stop")
    assert await asyncio.to_thread(strict.popen.wait, 60) == 0, stack.logs()

    stack.start_worker("w2", APP_BRIDGE="auto", APP_BRIDGE_READY_S="2")
    async with stack.pg.connection() as conn:
        assert stack.company_id is not None
        await sessions.set_desired(
            conn, company_id=stack.company_id, session_id=session_id, desired_state="running"
        )
    qr = await stack.tap.wait_for(
        lambda e: e.type == "qr" and stack.tap.seen.index(e) > stack.tap.seen.index(blocked),
        60,
        "qr from the page",
    )
    assert isinstance(qr, events.QrEvent)
    phone, contact = unique_phone(), unique_phone()
    await stack.sim.link(qr.data.qr_raw, phone, "Fallback Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready")
    assert (await stack.session_row(session_id)).bridge == "page"
    await stack.sim.inbound(phone, contact, "read from the page", name="Pat")
    got = await stack.tap.wait_for(of_type("message"), 30, "inbound")
    assert isinstance(got, events.MessageEvent) and got.data.message.body == "read from the page"
