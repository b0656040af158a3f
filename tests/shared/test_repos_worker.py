"""The worker's repository functions: one chat per person by any id, merges, drift, unconfirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import chats, messages, sessions
from shared.db.types import Chat
from tests.conftest import MakeCompany

PN = "79035556677@c.us"
LID = "123456789012345@lid"


async def _session(pg: AsyncConnectionPool, make_company: MakeCompany) -> UUID:
    company = await make_company()
    async with pg.connection() as conn:
        return (await sessions.create(conn, company_id=company.id, name="main")).id


async def _message(pg: AsyncConnectionPool, sid: UUID, chat: Chat, wa_id: str) -> UUID:
    async with pg.connection() as conn:
        msg, _ = await messages.worker_upsert_observed(
            conn,
            session_id=sid,
            chat_id=chat.id,
            wa_msg_id=wa_id,
            direction="in",
            sender="Ann",
            body=f"body {wa_id}",
            status="read",
            wa_timestamp=None,
        )
    return msg.id


async def test_a_chat_is_found_by_any_of_its_ids(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    async with pg.connection() as conn:
        chat, merged = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=PN, lid=LID, name="Ann", is_group=False
        )
        assert merged == [] and (chat.wa_chat_id, chat.phone_jid, chat.lid) == (PN, PN, LID)
        for wa_id in (PN, LID, "79035556677@s.whatsapp.net"):
            found = await chats.worker_get_by_wa_id(conn, session_id=sid, wa_chat_id=wa_id)
            assert found is not None and found.id == chat.id
        assert (await chats.worker_find_by_name(conn, session_id=sid, name="Ann")) == chat
        assert await chats.worker_get_by_wa_id(conn, session_id=sid, wa_chat_id="1@c.us") is None


async def test_missing_ids_are_filled_in_and_the_first_id_stays(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    async with pg.connection() as conn:
        first, _ = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=LID, name="", is_group=False
        )
        again, merged = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=PN, lid=LID, name="Ann", is_group=False
        )
    assert merged == [] and again.id == first.id
    assert (again.wa_chat_id, again.phone_jid, again.lid, again.name) == (LID, PN, LID, "Ann")


async def test_two_rows_of_one_person_merge_into_the_older(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    async with pg.connection() as conn:
        by_lid, _ = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=LID, name="Ann", is_group=False
        )
    older = await _message(pg, sid, by_lid, "AAA1")
    async with pg.connection() as conn:
        by_pn = await chats.worker_upsert(  # e.g. a send by phone number made its own row
            conn,
            session_id=sid,
            wa_chat_id=PN,
            name="+7 903 555-66-77",
            is_group=False,
            unread_count=2,
            last_message_at=datetime.now(UTC) + timedelta(minutes=1),
            last_message_preview="newest",
        )
    newer = await _message(pg, sid, by_pn, "BBB2")
    async with pg.connection() as conn:
        one, merged = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=PN, lid=LID, name="Ann", is_group=False
        )
        assert merged == [by_pn.id] and one.id == by_lid.id
        assert (one.wa_chat_id, one.phone_jid, one.lid) == (LID, PN, LID)
        assert one.unread_count == 2 and one.last_message_preview == "newest"
        assert await chats.worker_get(conn, session_id=sid, chat_id=by_pn.id) is None
        for mid in (older, newer):
            msg = await messages.worker_get(conn, session_id=sid, message_id=mid)
            assert msg is not None and msg.chat_id == one.id


async def test_a_page_only_id_gives_way_to_the_real_one(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    async with pg.connection() as conn:
        page, _ = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id="page:0123456789abcdef", name="Ann", is_group=False
        )
        # the page chat is the older one: it has the first message (chats without any are
        # in no particular order)
        await messages.worker_upsert_observed(
            conn,
            session_id=sid,
            chat_id=page.id,
            wa_msg_id="3EB0FIRST",
            direction="in",
            sender="Ann",
            body="hi",
            status="read",
            wa_timestamp=datetime.now(UTC),
        )
        real, _ = await chats.worker_resolve(
            conn,
            session_id=sid,
            wa_chat_id=PN,
            phone_jid=PN,
            name="Ann",
            is_group=False,
        )
        # a page id is only found by name, so the caller passes it along when it has one
        assert real.id != page.id
        merged, gone = await chats.worker_resolve(
            conn,
            session_id=sid,
            wa_chat_id="page:0123456789abcdef",
            phone_jid=PN,
            name="Ann",
            is_group=False,
        )
    assert gone == [real.id] and merged.id == page.id and merged.wa_chat_id == PN


async def test_drift_counts_add_up_per_kind(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    t1 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    t2 = t1 + timedelta(minutes=5)
    async with pg.connection() as conn:
        await sessions.worker_add_drift(
            conn, session_id=sid, counts={"row_unparsed": (2, t1), "time_unparsed": (1, t1)}
        )
        await sessions.worker_add_drift(conn, session_id=sid, counts={"row_unparsed": (3, t2)})
        row = await sessions.worker_get(conn, session_id=sid)
    assert row is not None
    assert row.page_drift == {
        "row_unparsed": {"count": 5, "lastAt": t2.isoformat()},
        "time_unparsed": {"count": 1, "lastAt": t1.isoformat()},
    }


async def test_unconfirmed_sends_wait_and_are_confirmed_once(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    async with pg.connection() as conn:
        chat, _ = await chats.worker_resolve(
            conn, session_id=sid, wa_chat_id=PN, name="Ann", is_group=False
        )
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=sid,
            chat_id=chat.id,
            client_msg_id="c-1",
            body="hello",
            sent_by_user_id=None,
        )
        marked = await messages.worker_mark_unconfirmed(conn, session_id=sid, message_id=msg.id)
        assert marked is not None and marked.status == "unconfirmed"
        # only a pending message becomes unconfirmed; an unconfirmed one is never pending again
        assert (
            await messages.worker_mark_unconfirmed(conn, session_id=sid, message_id=msg.id) is None
        )
        assert (
            await messages.worker_mark_failed(conn, session_id=sid, message_id=msg.id, error="x")
            is None
        )
        waiting = await messages.worker_list_unconfirmed(conn, session_id=sid)
        assert [m.id for m in waiting] == [msg.id]
        sent = await messages.worker_adopt_sent(
            conn, session_id=sid, message_id=msg.id, wa_msg_id="3EB0AAAA"
        )
        assert sent is not None and (sent.status, sent.wa_msg_id) == ("sent", "3EB0AAAA")
        assert await messages.worker_list_unconfirmed(conn, session_id=sid) == []
        got = await messages.worker_get_by_wa_id(conn, session_id=sid, wa_msg_id="3EB0AAAA")
        assert got is not None and got.id == msg.id
        acked = await messages.worker_advance_ack(
            conn, session_id=sid, wa_msg_id="3EB0AAAA", status="delivered"
        )
        assert acked is not None and acked.status == "delivered"


async def test_pairing_code_lives_only_while_the_session_shows_the_qr_landing(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    sid = await _session(pg, make_company)
    until = datetime.now(UTC) + timedelta(minutes=3)
    async with pg.connection() as conn:
        await sessions.worker_set_state(
            conn, session_id=sid, state="qr", reason="pairing_code", worker_id="w"
        )
        await sessions.worker_set_pairing_code(
            conn, session_id=sid, code="ABCD1234", phone="15550001111", expires_at=until
        )
        row = await sessions.worker_get(conn, session_id=sid)
        assert row is not None
        assert (row.pairing_code, row.pairing_phone, row.pairing_code_expires_at) == (
            "ABCD1234",
            "15550001111",
            until,
        )
        await sessions.worker_set_state(
            conn, session_id=sid, state="authenticated", reason="qr_scanned", worker_id="w"
        )
        row = await sessions.worker_get(conn, session_id=sid)
    assert row is not None and (row.pairing_code, row.pairing_code_expires_at) == (None, None)
