"""The worker end to end: simulator + real Chromium + real Redis/Postgres, via real subprocesses."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any
from uuid import UUID

import pytest
from PIL import Image
from pyzbar.pyzbar import decode

from shared import events, jobs
from shared.db.repos import chats, messages
from shared.db.types import Chat, Message
from tests.support.databases import NAMES
from tests.support.events import is_state, of_type
from tests.support.stack import BOTH, Stack, unique_phone

pytestmark = pytest.mark.e2e


def _qr_text(event: events.Event) -> str:
    assert isinstance(event, events.QrEvent)
    png = base64.b64decode(event.data.qr_code.split(",", 1)[1])
    return str(decode(Image.open(io.BytesIO(png)))[0].data.decode())


def _qr_code(text: str) -> tuple[str, ...]:
    """What a phone reads in a QR: the ref and the three keys (the page's data-ref adds a
    ``wa.me`` prefix and a platform field; wa-js's ``AuthCode.fullCode`` is the four alone)."""
    return tuple(text.rsplit("#", 1)[-1].split(",")[:4])


async def _link(stack: Stack, session_id: UUID, phone: str, name: str = "Shop") -> None:
    qr = await stack.tap.wait_for(
        lambda e: e.type == "qr" and e.session_id == session_id, 60, "first qr"
    )
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, phone, name)
    await stack.tap.wait_for(
        lambda e: is_state("ready")(e) and e.session_id == session_id, 60, "ready"
    )


async def _chat(stack: Stack, session_id: UUID, wa_chat_id: str) -> Chat:
    async with stack.pg.connection() as conn:
        chat = await chats.worker_get_by_wa_id(conn, session_id=session_id, wa_chat_id=wa_chat_id)
    assert chat is not None
    return chat


async def _messages(stack: Stack, session_id: UUID, chat: Chat) -> list[Message]:
    assert stack.company_id is not None
    async with stack.pg.connection() as conn:
        return await messages.list_for_chat(
            conn, company_id=stack.company_id, session_id=session_id, chat_id=chat.id, limit=500
        )


async def _send(
    stack: Stack,
    session_id: UUID,
    chat: Chat | None,
    body: str,
    *,
    to_phone: str | None = None,
    job_id: str | None = None,
) -> Message:
    """What the gateway does: a pending row, then a send_text job on the session queue."""
    client_id = uuid.uuid4().hex
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
            client_msg_id=client_id,
            body=body,
            sent_by_user_id=None,
        )
    job = jobs.SendText(
        session_id=session_id,
        message_id=msg.id,
        client_msg_id=client_id,
        body=body,
        wa_chat_id=None if to_phone else target.wa_chat_id,
        to_phone=to_phone,
    )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT,
        job.to_payload(),
        _queue_name=NAMES.session_queue(str(session_id)),
        _job_id=job_id,
    )
    return msg


async def _status(stack: Stack, session_id: UUID, message_id: UUID, want: set[str]) -> Message:
    import asyncio

    for _ in range(300):
        async with stack.pg.connection() as conn:
            msg = await messages.worker_get(conn, session_id=session_id, message_id=message_id)
        assert msg is not None
        if msg.status in want:
            return msg
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} never reached {want}\n{stack.logs()}")


@pytest.mark.parametrize("bridge", BOTH)
async def test_qr_link_capture_send_and_acks(stack: Stack) -> None:
    stack.start_worker("w1")
    session_id = await stack.new_session()
    phone, contact = unique_phone(), unique_phone()

    # QR: the PNG decodes to the simulator's current ref, and it rotates
    first = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    devices = await stack.sim.devices()
    refs = {_qr_code(d["qrRef"]) for d in devices if d["status"] == "pending"}
    assert _qr_code(_qr_text(first)) in refs
    second = await stack.tap.wait_for(
        lambda e: e.type == "qr" and _qr_text(e) != _qr_text(first), 30, "rotated qr"
    )
    assert isinstance(second, events.QrEvent)

    # scan -> authenticated -> ready, with own phone and name
    await stack.sim.link(second.data.qr_raw, phone, "Corner Shop")
    await stack.tap.wait_for(is_state("authenticated", "qr_scanned"), 60, "authenticated")
    ready = await stack.tap.wait_for(of_type("ready"), 60, "ready event")
    assert isinstance(ready, events.ReadyEvent)
    assert ready.data.phone_number == phone and ready.data.display_name == "Corner Shop"
    await stack.tap.wait_for(is_state("ready"), 60, "ready state")
    row = await stack.session_row(session_id)
    assert (row.state, row.phone, row.display_name) == ("ready", phone, "Corner Shop")

    # inbound: stored once, published once
    sim_msg = await stack.sim.inbound_message(phone, contact, "Hello, is it open?", name="Alice")
    got = await stack.tap.wait_for(of_type("message"), 30, "inbound message")
    assert isinstance(got, events.MessageEvent)
    assert got.data.message.body == "Hello, is it open?"
    assert got.data.message.wa_message_id == sim_msg["id"]  # WhatsApp's bare id
    assert got.data.message.wa_chat_id == f"{contact}@c.us"  # from the chat's info drawer
    chat = await _chat(stack, session_id, f"{contact}@c.us")
    assert chat.name == "Alice"

    # send: reaches the contact; emoji and several lines arrive intact
    body = "Yes! Open till 9 🙂🍕\nsecond line\n\nafter a blank line"
    out = await _send(stack, session_id, chat, body)
    sent = await _status(stack, session_id, out.id, {"sent", "delivered", "read"})
    seen_by_contact = [m for m in await stack.sim.sent(phone) if m["text"] == body]
    assert len(seen_by_contact) == 1
    assert sent.wa_msg_id == seen_by_contact[0]["id"]
    assert seen_by_contact[0]["chatId"] == f"{contact}@c.us"

    # acks move forward and are stored
    sim_id = seen_by_contact[0]["messageId"]
    await stack.sim.ack(phone, sim_id, "delivered")
    await _status(stack, session_id, out.id, {"delivered", "read"})
    await stack.sim.ack(phone, sim_id, "read")
    await _status(stack, session_id, out.id, {"read"})
    ack = await stack.tap.wait_for(of_type("message_ack"), 10, "ack event")
    assert isinstance(ack, events.MessageAckEvent) and ack.data.message_id == out.id

    # the same send_text job delivered twice sends once
    twice = await _send(stack, session_id, chat, "only once please", job_id="dup-1")
    await _status(stack, session_id, twice.id, {"sent", "delivered", "read"})
    again = jobs.SendText(
        session_id=session_id,
        message_id=twice.id,
        client_msg_id=twice.client_msg_id or "",
        body="only once please",
        wa_chat_id=chat.wa_chat_id,
    )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT, again.to_payload(), _queue_name=NAMES.session_queue(str(session_id))
    )
    # the crash window: typed on the page, but the worker died before recording it
    async with stack.pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_messages SET status = 'pending', wa_msg_id = NULL WHERE id = %(id)s",
            {"id": twice.id},
        )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT, again.to_payload(), _queue_name=NAMES.session_queue(str(session_id))
    )
    adopted = await _status(stack, session_id, twice.id, {"sent", "delivered", "read"})
    assert adopted.wa_msg_id
    marker = await _send(stack, session_id, chat, "marker after duplicate")
    await _status(stack, session_id, marker.id, {"sent", "delivered", "read"})
    texts = [m["text"] for m in await stack.sim.sent(phone)]
    assert texts.count("only once please") == 1

    # the inbound message was stored once even though observer and scans both saw it
    stored = [m for m in await _messages(stack, session_id, chat) if m.direction == "in"]
    assert [m.body for m in stored] == ["Hello, is it open?"]
    assert stack.tap.count(of_type("message")) == 1

    # a number not on WhatsApp: failed with a clear reason
    await stack.sim.config(invalidNumbers=["15550009999"])
    bad = await _send(stack, session_id, None, "hi?", to_phone="15550009999")
    failed = await _status(stack, session_id, bad.id, {"failed"})
    assert failed.error and "invalid_number" in failed.error

    # a new chat by phone number works
    newbie = unique_phone()
    fresh = await _send(stack, session_id, None, "welcome!", to_phone=newbie)
    await _status(stack, session_id, fresh.id, {"sent", "delivered", "read"})
    assert any(
        m["text"] == "welcome!" and m["chatId"] == f"{newbie}@c.us"
        for m in await stack.sim.sent(phone)
    )


@pytest.mark.parametrize("bridge", BOTH)
async def test_conflict_is_taken_over_and_phone_logout_returns_to_qr(stack: Stack) -> None:
    stack.start_worker("w1")
    session_id = await stack.new_session()
    phone = unique_phone()
    await _link(stack, session_id, phone)

    await stack.sim.conflict(phone)
    await stack.tap.wait_for(is_state("conflict"), 30, "conflict")
    await stack.tap.wait_for(is_state("ready", "taken_over"), 30, "taken over")

    await stack.sim.network(phone, False)
    await stack.tap.wait_for(is_state("disconnected", "network_lost"), 30, "offline")
    await stack.tap.wait_for(of_type("disconnected"), 5, "disconnected event")
    await stack.sim.network(phone, True)
    await stack.tap.wait_for(is_state("ready", "network_restored"), 30, "back online")

    ready_events = stack.tap.count(of_type("ready"))
    await stack.sim.unlink(phone)
    await stack.tap.wait_for(is_state("qr", "logged_out"), 30, "logged out -> qr")
    row = await stack.session_row(session_id)
    assert row.phone is None and row.state == "qr"
    assert stack.tap.count(of_type("ready")) == ready_events  # a logout is no "ready"


def _events_for(stack: Stack, session_id: UUID, kind: str) -> list[Any]:
    return [e for e in stack.tap.seen if e.type == kind and e.session_id == session_id]
