"""The worker on today's page, end to end: popups, unknown dialogs, passkeys, pairing codes,
``@lid`` and phone ids of one person as one chat, and sends whose row shows late."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from uuid import UUID

import pytest
from arq.jobs import JobStatus

from shared import events, jobs
from shared.db.repos import chats, messages
from shared.db.types import Chat, Message
from shared.queues import enqueue_command
from tests.support.databases import NAMES
from tests.support.events import is_state, of_type
from tests.support.stack import BOTH, Stack, unique_phone

pytestmark = pytest.mark.e2e


async def _inbound(stack: Stack, count: int) -> events.MessageEvent:
    """Wait for the ``count``-th inbound message event."""

    def nth(e: events.Event) -> bool:
        return (
            e.type == "message"
            and [x for x in stack.tap.seen if x.type == "message"].index(e) == count - 1
        )

    event = await stack.tap.wait_for(nth, 30, f"inbound message {count}")
    assert isinstance(event, events.MessageEvent)
    return event


async def _chats(stack: Stack, session_id: UUID) -> list[Chat]:
    assert stack.company_id is not None
    async with stack.pg.connection() as conn:
        found, _ = await chats.list_for_session(
            conn, company_id=stack.company_id, session_id=session_id, limit=100, offset=0
        )
    return found


async def _messages(stack: Stack, session_id: UUID, chat_id: UUID) -> list[Message]:
    assert stack.company_id is not None
    async with stack.pg.connection() as conn:
        return await messages.list_for_chat(
            conn, company_id=stack.company_id, session_id=session_id, chat_id=chat_id, limit=100
        )


async def _drift(stack: Stack, session_id: UUID, kind: str) -> dict[str, Any]:
    for _ in range(100):
        row = await stack.session_row(session_id)
        if kind in row.page_drift:
            return dict(row.page_drift[kind])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} drift on the session\n{stack.logs()}")


@pytest.mark.parametrize("bridge", BOTH)
async def test_popups_are_dismissed_and_an_unknown_one_blocks(stack: Stack) -> None:
    stack.start_worker("w1", APP_UNKNOWN_DIALOG_S="2")
    phone, contact = unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(
        phone
    )  # behind the fresh-look popup of a new device
    await stack.sim.inbound(phone, contact, "first", name="Ann")
    assert (await _inbound(stack, 1)).data.message.body == "first"
    for kind in ("whats_new", "notice"):
        await stack.sim.dialog(phone, kind)
    await stack.sim.inbound(phone, contact, "second", name="Ann")
    assert (await _inbound(stack, 2)).data.message.body == "second"
    for _ in range(100):  # the module bridge reads messages under a popup too
        if "dialog=whats_new dismissed=True" in stack.logs():
            break
        await asyncio.sleep(0.1)
    assert "dialog=whats_new dismissed=True" in stack.logs()

    terms = "Please review the new terms before you continue."
    await stack.sim.dialog(phone, "unknown", text=terms)
    blocked = await stack.tap.wait_for(is_state("blocked", "unknown_dialog"), 30, "blocked")
    assert isinstance(blocked, events.StateEvent) and blocked.data.detail == terms
    row = await stack.session_row(session_id)
    assert (row.state, row.state_detail, row.desired_state) == ("blocked", terms, "stopped")
    assert (await _drift(stack, session_id, "dialog_unknown"))["count"] == 1
    counted: Any = stack.redis.hget(NAMES.drift_counts, "dialog_unknown")  # loosely typed
    assert await counted == b"1"


@pytest.mark.parametrize("bridge", BOTH)
async def test_a_passkey_prompt_blocks_when_the_relay_is_off(stack: Stack) -> None:
    stack.start_worker("w1", APP_PASSKEY_RELAY="off")
    await stack.sim.config(passkeyAfterScan=True)
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, unique_phone(), "Keyed")
    blocked = await stack.tap.wait_for(is_state("blocked", "passkey_required"), 30, "blocked")
    assert isinstance(blocked, events.StateEvent)
    assert blocked.data.detail and "APP_PASSKEY_RELAY=off" in blocked.data.detail
    row = await stack.session_row(session_id)
    assert row.desired_state == "stopped"
    qr_count = stack.tap.count(of_type("qr"))
    await asyncio.sleep(1)
    assert stack.tap.count(of_type("qr")) == qr_count  # no QR loop


@pytest.mark.parametrize("bridge", BOTH)
async def test_pairing_code_end_to_end(stack: Stack) -> None:
    stack.start_worker("w1")
    session_id = await stack.new_session()
    await stack.tap.wait_for(of_type("qr"), 60, "qr")
    phone = unique_phone()
    args = jobs.RequestPairingCode(session_id=session_id, phone=phone)
    await enqueue_command(stack.arq, NAMES, str(session_id), jobs.PAIRING_CODE, args)
    shown = await stack.tap.wait_for(of_type("pairing_code"), 30, "pairing code")
    assert isinstance(shown, events.PairingCodeEvent)
    code = shown.data.code
    assert len(code) == 8 and code.isalnum() and shown.data.phone == phone
    assert shown.data.expires_at is not None
    await stack.tap.wait_for(is_state("qr", "pairing_code"), 10, "qr/pairing_code")
    row = await stack.session_row(session_id)
    assert (row.pairing_code, row.pairing_code_expires_at) == (code, shown.data.expires_at)

    await stack.sim.link_code(code, phone, "By Code")
    await stack.tap.wait_for(is_state("ready"), 60, "ready")
    row = await stack.session_row(session_id)
    assert (row.phone, row.display_name, row.pairing_code) == (phone, "By Code", None)


@pytest.mark.parametrize("bridge", ["page"])
async def test_phone_id_and_lid_of_one_person_are_one_chat(stack: Stack) -> None:
    stack.start_worker("w1")
    phone, lina, mia = unique_phone(), unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(phone)

    # Lina writes from her number, then under her lid (the row's legacy id says so)
    await stack.sim.inbound(phone, lina, "from my number", name="Lina")
    await _inbound(stack, 1)
    await stack.sim.inbound(phone, lina, "from my lid", name="Lina", id_form="legacy", via="lid")
    await _inbound(stack, 2)
    lina_lid = next(
        c["lid"] for c in await stack.sim.contacts(phone) if c["phoneJid"].startswith(lina)
    )
    for _ in range(50):
        (chat,) = await _chats(stack, session_id)
        if chat.lid:
            break
        await asyncio.sleep(0.1)
    assert (chat.wa_chat_id, chat.phone_jid, chat.lid) == (f"{lina}@c.us", f"{lina}@c.us", lina_lid)
    bodies = sorted(m.body for m in await _messages(stack, session_id, chat.id))
    assert bodies == ["from my lid", "from my number"]

    # Mia is first known by her lid only; a send to her number made its own row (as the
    # gateway does); opening her chat by number shows both ids are one person: merged
    await stack.sim.inbound(phone, mia, "hi, lid only", name="Mia", id_form="legacy", via="lid")
    await _inbound(stack, 3)
    mia_lid = next(
        c["lid"] for c in await stack.sim.contacts(phone) if c["phoneJid"].startswith(mia)
    )
    by_lid = await _wait_chat(stack, session_id, mia_lid)
    assert by_lid.phone_jid is None
    async with stack.pg.connection() as conn:
        by_phone = await chats.worker_upsert(
            conn, session_id=session_id, wa_chat_id=f"{mia}@c.us", name=mia, is_group=False
        )
        out, _ = await messages.create_outgoing(
            conn,
            session_id=session_id,
            chat_id=by_phone.id,
            client_msg_id=uuid.uuid4().hex,
            body="hello Mia",
            sent_by_user_id=None,
        )
    job = jobs.SendText(
        session_id=session_id,
        message_id=out.id,
        client_msg_id=out.client_msg_id or "",
        body="hello Mia",
        to_phone=mia,
    )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT, job.to_payload(), _queue_name=NAMES.session_queue(str(session_id))
    )
    sent = await _status(stack, session_id, out.id, {"sent", "delivered", "read"})
    mias = [c for c in await _chats(stack, session_id) if mia_lid in (c.lid, c.wa_chat_id)]
    assert len(mias) == 1 and mias[0].id == by_lid.id
    assert (mias[0].phone_jid, mias[0].lid) == (f"{mia}@c.us", mia_lid)
    assert sent.chat_id == by_lid.id
    async with stack.pg.connection() as conn:
        assert await chats.worker_get(conn, session_id=session_id, chat_id=by_phone.id) is None
    assert len(await _chats(stack, session_id)) == 2
    assert [m["text"] for m in await stack.sim.sent(phone)] == ["hello Mia"]


async def _wait_chat(stack: Stack, session_id: UUID, wa_id: str) -> Chat:
    for _ in range(100):
        async with stack.pg.connection() as conn:
            chat = await chats.worker_get_by_wa_id(conn, session_id=session_id, wa_chat_id=wa_id)
        if chat is not None:
            return chat
        await asyncio.sleep(0.1)
    raise AssertionError(f"no chat {wa_id}\n{stack.logs()}")


async def _status(stack: Stack, session_id: UUID, message_id: UUID, want: set[str]) -> Message:
    for _ in range(400):
        async with stack.pg.connection() as conn:
            msg = await messages.worker_get(conn, session_id=session_id, message_id=message_id)
        assert msg is not None
        if msg.status in want:
            return msg
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message_id} never reached {want}\n{stack.logs()}")


async def _send(stack: Stack, session_id: UUID, chat: Chat, body: str) -> Message:
    async with stack.pg.connection() as conn:
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=session_id,
            chat_id=chat.id,
            client_msg_id=uuid.uuid4().hex,
            body=body,
            sent_by_user_id=None,
        )
    job = jobs.SendText(
        session_id=session_id,
        message_id=msg.id,
        client_msg_id=msg.client_msg_id or "",
        body=body,
        wa_chat_id=chat.wa_chat_id,
    )
    await stack.arq.enqueue_job(
        jobs.SEND_TEXT, job.to_payload(), _queue_name=NAMES.session_queue(str(session_id))
    )
    return msg


@pytest.mark.parametrize("bridge", ["page"])
async def test_a_send_whose_row_is_late_is_unconfirmed_then_sent(stack: Stack) -> None:
    stack.start_worker("w1", APP_SEND_CONFIRM_S="1")
    phone, contact = unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(phone)
    await stack.sim.inbound(phone, contact, "are you there?", name="Ola")
    await _inbound(stack, 1)
    chat = await _wait_chat(stack, session_id, f"{contact}@c.us")

    # the row shows 4 s after the send, the worker waits 1 s: unconfirmed, then sent
    await stack.sim.config(outgoingRowDelayMs=4000)
    late = await _send(stack, session_id, chat, "yes, here")
    unconfirmed = await _status(stack, session_id, late.id, {"unconfirmed"})
    assert unconfirmed.wa_msg_id is None
    told = await stack.tap.wait_for(
        lambda e: e.type == "message_sent" and e.data.message.status == "unconfirmed", 10, "told"
    )
    assert isinstance(told, events.MessageSentEvent) and told.data.message.id == late.id
    confirmed = await _status(stack, session_id, late.id, {"sent", "delivered", "read"})
    at_contact = [m for m in await stack.sim.sent(phone) if m["text"] == "yes, here"]
    assert len(at_contact) == 1 and confirmed.wa_msg_id == at_contact[0]["id"]
    outgoing = [m for m in await _messages(stack, session_id, chat.id) if m.direction == "out"]
    assert [m.id for m in outgoing] == [late.id]  # reconciled, not stored a second time

    # still unconfirmed when the worker restarts: reconciled from the page after the restart
    await stack.sim.config(outgoingRowDelayMs=600_000)
    later = await _send(stack, session_id, chat, "after a restart")
    await _status(stack, session_id, later.id, {"unconfirmed"})
    await stack.sim.config(outgoingRowDelayMs=0)
    mark = len(stack.tap.seen)
    await enqueue_command(
        stack.arq,
        NAMES,
        str(session_id),
        jobs.RESTART,
        jobs.SessionCommand(session_id=session_id),
    )
    await stack.tap.wait_for(
        lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) > mark, 60, "back"
    )
    reconciled = await _status(stack, session_id, later.id, {"sent", "delivered", "read"})
    assert reconciled.wa_msg_id
    texts = [m["text"] for m in await stack.sim.sent(phone)]
    assert texts.count("after a restart") == 1 and texts.count("yes, here") == 1
    outgoing = [m for m in await _messages(stack, session_id, chat.id) if m.direction == "out"]
    assert sorted(m.body for m in outgoing) == ["after a restart", "yes, here"]


@pytest.mark.parametrize("bridge", ["page"])
async def test_every_id_form_is_stored_once_under_its_bare_id(stack: Stack) -> None:
    stack.start_worker("w1")
    phone, contact = unique_phone(), unique_phone()
    session_id = await stack.new_linked_session(phone)
    group = {"id": "120363000000000009", "name": "Crew"}
    sent = [
        await stack.sim.inbound_message(phone, contact, "bare", name="Eve"),
        await stack.sim.inbound_message(phone, contact, "legacy", name="Eve", id_form="legacy"),
        await stack.sim.inbound_message(phone, contact, "opaque", name="Eve", id_form="opaque"),
        await stack.sim.inbound_message(
            phone, contact, "group", name="Eve", id_form="legacy", via="lid", group=group
        ),
    ]
    for n in range(1, 5):
        await _inbound(stack, n)
    # read everything again: nothing is stored or published twice
    sync = await stack.arq.enqueue_job(
        jobs.SYNC_CHATS,
        jobs.SessionCommand(session_id=session_id).to_payload(),
        _queue_name=NAMES.session_queue(str(session_id)),
    )
    assert sync is not None
    for _ in range(300):  # the worker keeps no results: done once arq no longer knows it
        if await sync.status() == JobStatus.not_found:
            break
        await asyncio.sleep(0.1)
    assert "synced chats=2" in stack.logs()
    got = {
        str(e.data.message.wa_message_id): e
        for e in stack.tap.seen
        if isinstance(e, events.MessageEvent)
    }
    assert sorted(got) == sorted(m["id"] for m in sent) and stack.tap.count(of_type("message")) == 4
    assert got[sent[3]["id"]].data.message.wa_chat_id == "120363000000000009@g.us"
    assert {got[m["id"]].data.message.wa_chat_id for m in sent[:3]} == {f"{contact}@c.us"}
    crew = await _wait_chat(stack, session_id, "120363000000000009@g.us")
    assert crew.is_group and crew.name == "Crew"
