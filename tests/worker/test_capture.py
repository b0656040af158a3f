"""Capture stores what any bridge observed: once per message, in one chat per person, acks forward,
late copies of unconfirmed sends reconciled; the catch-up cursors (real Postgres and Redis)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import chats, messages, sessions
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.events import EventTap
from worker.browser.observed import AckChange, ChatRef, ObservedMessage
from worker.capture import Capture
from worker.publisher import Publisher

PN, LID = "15550001111@c.us", "123456789012345@lid"
T0 = datetime(2026, 6, 13, 12, 0, tzinfo=UTC)


@pytest.fixture
async def capture(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> AsyncIterator[tuple[Capture, Publisher, EventTap]]:
    company = await make_company()
    async with pg.connection() as conn:
        session = await sessions.create(conn, company_id=company.id, name="main")
    publisher = Publisher(
        pg,
        redis,
        channel=NAMES.events_channel,
        session_id=session.id,
        company_id=company.id,
        worker_id="w-test",
    )
    tap = EventTap(redis)
    tap.sessions.add(session.id)
    await tap.start()
    yield Capture(publisher), publisher, tap
    await tap.stop()


def _in(wa_id: str, body: str, chat: ChatRef, at: datetime = T0) -> ObservedMessage:
    return ObservedMessage(wa_id, chat, "in", "Ann", body, at)


async def test_each_message_once_in_one_chat_per_person(
    capture: tuple[Capture, Publisher, EventTap], pg: AsyncConnectionPool
) -> None:
    cap, pub, tap = capture
    by_phone, by_lid = ChatRef(PN, PN, None, name="Ann"), ChatRef(LID, PN, LID, name="Ann")
    await cap.record([_in("A1", "from my number", by_phone)])
    await cap.record([_in("A1", "from my number", by_phone), _in("A2", "from my lid", by_lid)])
    async with pg.connection() as conn:
        found, total = await chats.list_for_session(
            conn, company_id=pub.company_id, session_id=pub.session_id, limit=10, offset=0
        )
    assert total == 1 and (found[0].phone_jid, found[0].lid) == (PN, LID)
    await tap.wait_for(lambda e: e.type == "message" and e.data.message.body == "from my lid", 5)
    assert [e.data.message.body for e in tap.seen if e.type == "message"] == [
        "from my number",
        "from my lid",
    ]

    cursors = await cap.cursors(10)
    assert [(c.chat.all, c.wa_msg_id) for c in cursors] == [(frozenset({PN, LID}), "A2")]


async def test_acks_move_forward_and_an_unconfirmed_send_is_reconciled(
    capture: tuple[Capture, Publisher, EventTap], pg: AsyncConnectionPool
) -> None:
    cap, pub, tap = capture
    ann = ChatRef(PN, PN, name="Ann")
    chat = await cap.chat(ann)
    async with pg.connection() as conn:
        out, _ = await messages.create_outgoing(
            conn,
            session_id=pub.session_id,
            chat_id=chat.id,
            client_msg_id="c1",
            body="on my way\nsee you",
            sent_by_user_id=None,
        )
    await pub.unconfirmed(out.id)
    cap.expect_unconfirmed()
    late = datetime.now(UTC) + timedelta(seconds=1)
    copy = ObservedMessage("B1", ann, "out", None, "on my way  \nsee you", late, "sent")
    await cap.record([copy])
    stored = await cap.stored(out.id)
    assert stored is not None and (stored.status, stored.wa_msg_id) == ("sent", "B1")

    await cap.acks([AckChange("B1", "delivered"), AckChange("B1", "delivered")])
    await cap.acks([AckChange("B1", "read")])
    stored = await cap.stored(out.id)
    assert stored is not None and stored.status == "read"
    await tap.wait_for(lambda e: e.type == "message_ack" and e.data.status == "read", 5)
    assert [e.data.status for e in tap.seen if e.type == "message_ack"] == ["delivered", "read"]
    async with pg.connection() as conn:
        listed = await messages.list_for_chat(
            conn, company_id=pub.company_id, session_id=pub.session_id, chat_id=chat.id, limit=9
        )
    assert [m.id for m in listed] == [out.id]  # the copy is the send, not a second message
