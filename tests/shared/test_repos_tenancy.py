"""Every tenant-scoped repository function refuses to return or touch another company's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import access, audit, chats, messages, sessions, users
from shared.db.types import Chat, Message, WaSession
from tests.conftest import Account, MakeCompany, MakeUser


@dataclass
class Tenant:
    company_id: UUID
    admin: Account
    manager: Account
    session: WaSession
    chat: Chat
    message: Message


async def _tenant(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> Tenant:
    company = await make_company()
    admin = await make_user("admin", company)
    manager = await make_user("manager", company)
    async with pg.connection() as conn:
        session = await sessions.create(conn, company_id=company.id, name="main")
        await access.grant(
            conn,
            company_id=company.id,
            session_id=session.id,
            manager_id=manager.id,
            can_read=True,
            can_write=True,
            can_manage_chats=True,
            granted_by=admin.id,
        )
        chat = await chats.worker_upsert(
            conn,
            session_id=session.id,
            wa_chat_id="15550001111@c.us",
            name="Alice",
            is_group=False,
            unread_count=1,
            last_message_at=datetime.now(UTC),
            last_message_preview="hi",
        )
        message, created = await messages.worker_upsert_observed(
            conn,
            session_id=session.id,
            chat_id=chat.id,
            wa_msg_id="false_15550001111@c.us_AAA",
            direction="in",
            sender="Alice",
            body="hi",
            status="read",
            wa_timestamp=None,
        )
        assert created
        await audit.record(conn, company_id=company.id, user_id=admin.id, action="session.create")
    return Tenant(company.id, admin, manager, session, chat, message)


async def test_reads_are_tenant_scoped(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    b = await _tenant(pg, make_company, make_user)
    async with pg.connection() as conn:
        # own rows are visible ...
        assert await sessions.get(conn, company_id=a.company_id, session_id=a.session.id)
        assert [s.id for s in await sessions.list_for_company(conn, company_id=a.company_id)] == [
            a.session.id
        ]
        # ... and the other company's never are
        other = b.company_id
        assert await sessions.get(conn, company_id=other, session_id=a.session.id) is None
        assert (
            await sessions.list_for_manager(conn, company_id=other, manager_id=a.manager.id) == []
        )
        assert await users.get_manager(conn, company_id=other, manager_id=a.manager.id) is None
        assert a.manager.id not in {u.id for u in await users.list_managers(conn, company_id=other)}
        assert await access.list_for_session(conn, company_id=other, session_id=a.session.id) == []
        assert (
            await access.get(
                conn, company_id=other, session_id=a.session.id, manager_id=a.manager.id
            )
            is None
        )
        assert await access.list_for_manager(conn, company_id=other, manager_id=a.manager.id) == []
        for viewer in (None, a.manager.id, b.manager.id):
            assert (
                await chats.page_for_viewer(
                    conn,
                    company_id=other,
                    session_id=a.session.id,
                    viewer=viewer,
                    limit=50,
                    offset=0,
                )
                is None
            )
            for ref in (a.chat.id, a.chat.wa_chat_id):
                assert (
                    await messages.page_for_viewer(
                        conn,
                        company_id=other,
                        session_id=a.session.id,
                        viewer=viewer,
                        chat=ref,
                        limit=50,
                    )
                    is None
                )
        assert (
            await chats.get(conn, company_id=other, session_id=a.session.id, chat_id=a.chat.id)
            is None
        )
        assert (
            await messages.list_for_chat(
                conn, company_id=other, session_id=a.session.id, chat_id=a.chat.id, limit=50
            )
            == []
        )
        assert (
            await messages.count_for_chat(
                conn, company_id=other, session_id=a.session.id, chat_id=a.chat.id
            )
            == 0
        )
        assert (
            await messages.get(
                conn, company_id=other, session_id=a.session.id, message_id=a.message.id
            )
            is None
        )
        assert {e.company_id for e in await audit.list_for_company(conn, company_id=other)} == {
            other
        }


async def test_writes_are_tenant_scoped(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    b = await _tenant(pg, make_company, make_user)
    other = b.company_id
    async with pg.connection() as conn:
        assert (
            await sessions.set_desired(
                conn, company_id=other, session_id=a.session.id, desired_state="stopped"
            )
            is None
        )
        assert not await sessions.delete(conn, company_id=other, session_id=a.session.id)
        assert not await users.delete_manager(conn, company_id=other, manager_id=a.manager.id)
        assert not await access.revoke(
            conn, company_id=other, session_id=a.session.id, manager_id=a.manager.id
        )
        # granting across tenants: neither their session to our manager nor ours to theirs
        for sid, mid in ((a.session.id, b.manager.id), (b.session.id, a.manager.id)):
            assert (
                await access.grant(
                    conn,
                    company_id=other,
                    session_id=sid,
                    manager_id=mid,
                    can_read=True,
                    can_write=False,
                    can_manage_chats=False,
                    granted_by=None,
                )
                is None
            )
        assert (
            await chats.update(
                conn, company_id=other, session_id=a.session.id, chat_id=a.chat.id, archived=True
            )
            is None
        )
        still = await sessions.get(conn, company_id=a.company_id, session_id=a.session.id)
    assert still is not None and still.desired_state == "running"


async def test_grant_refuses_foreign_manager(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    b = await _tenant(pg, make_company, make_user)
    async with pg.connection() as conn:
        got = await access.grant(
            conn,
            company_id=b.company_id,
            session_id=b.session.id,
            manager_id=a.manager.id,
            can_read=True,
            can_write=True,
            can_manage_chats=True,
            granted_by=b.admin.id,
        )
    assert got is None


async def test_observed_message_is_stored_once_and_acks_only_move_forward(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    async with pg.connection() as conn:
        again, created = await messages.worker_upsert_observed(
            conn,
            session_id=a.session.id,
            chat_id=a.chat.id,
            wa_msg_id=a.message.wa_msg_id or "",
            direction="in",
            sender="Alice",
            body="hi",
            status="read",
            wa_timestamp=None,
        )
        assert not created and again.id == a.message.id
        out, created = await messages.create_outgoing(
            conn,
            session_id=a.session.id,
            chat_id=a.chat.id,
            client_msg_id="c-1",
            body="yo",
            sent_by_user_id=a.manager.id,
        )
        dup, dup_created = await messages.create_outgoing(
            conn,
            session_id=a.session.id,
            chat_id=a.chat.id,
            client_msg_id="c-1",
            body="yo",
            sent_by_user_id=a.manager.id,
        )
        assert created and not dup_created and dup.id == out.id
        sent = await messages.worker_mark_sent(
            conn, session_id=a.session.id, message_id=out.id, wa_msg_id="true_x_1"
        )
        assert sent is not None and sent.status == "sent"
        read = await messages.worker_advance_ack(
            conn, session_id=a.session.id, wa_msg_id="true_x_1", status="read"
        )
        assert read is not None and read.status == "read"
        back = await messages.worker_advance_ack(
            conn, session_id=a.session.id, wa_msg_id="true_x_1", status="delivered"
        )
        assert back is None
