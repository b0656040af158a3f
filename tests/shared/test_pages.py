"""The chats and messages pages read in one query give the same JSON as the models would, and
only to those who may read the session."""

from __future__ import annotations

from typing import Any

import orjson
from psycopg_pool import AsyncConnectionPool

from gateway.jsonio import dump_bytes
from shared.db.repos import access, chats, companies, messages
from shared.payloads import chat_payload, message_payload, with_media
from tests.conftest import MakeCompany, MakeUser
from tests.shared.test_repos_tenancy import _tenant


def _json(value: object) -> object:
    return orjson.loads(dump_bytes(value))


async def test_pages_are_the_models_json(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    async with pg.connection() as conn:
        await messages.create_outgoing(
            conn,
            session_id=a.session.id,
            chat_id=a.chat.id,
            client_msg_id="c-1",
            body="an answer",
            sent_by_user_id=a.admin.id,
        )
        chat_page = await chats.page_for_viewer(
            conn,
            company_id=a.company_id,
            session_id=a.session.id,
            viewer=None,
            limit=50,
            offset=0,
        )
        chat = await chats.get(
            conn, company_id=a.company_id, session_id=a.session.id, chat_id=a.chat.id
        )
        assert chat_page is not None and chat is not None
        assert chat_page.total == 1
        assert _json(chat_page.chats) == [chat_payload(chat).to_wire()]

        stored = await messages.list_for_chat(
            conn, company_id=a.company_id, session_id=a.session.id, chat_id=a.chat.id, limit=50
        )
        assert len(stored) == 2
        expected = [message_payload(m, wa_chat_id=chat.wa_chat_id).to_wire() for m in stored]
        for ref in (a.chat.id, a.chat.wa_chat_id):
            page = await messages.page_for_viewer(
                conn,
                company_id=a.company_id,
                session_id=a.session.id,
                viewer=a.manager.id,
                chat=ref,
                limit=50,
            )
            assert page is not None
            assert (page.chat_id, page.cursor_found, page.total) == (a.chat.id, True, 2)
            # the route adds each row's media (None for text) with with_media
            assert _json(with_media(page.messages, {})) == expected
        # a cursor: the older message only; a cursor of no message of this chat is told apart
        older = await messages.page_for_viewer(
            conn,
            company_id=a.company_id,
            session_id=a.session.id,
            viewer=None,
            chat=a.chat.id,
            limit=50,
            before=stored[0].id,
        )
        assert older is not None and older.total == 1
        assert _json(with_media(older.messages, {})) == expected[1:]
        wrong = await messages.page_for_viewer(
            conn,
            company_id=a.company_id,
            session_id=a.session.id,
            viewer=None,
            chat=a.chat.id,
            limit=50,
            before=a.session.id,
        )
        assert wrong is not None and not wrong.cursor_found


async def test_pages_check_the_viewer_and_tell_an_empty_page(
    pg: AsyncConnectionPool, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a = await _tenant(pg, make_company, make_user)
    stranger = await make_user("manager", await make_company())
    async with pg.connection() as conn:
        company = await companies.get(conn, company_id=a.company_id)
    colleague = await make_user("manager", company)  # same company, no grant
    async with pg.connection() as conn:
        kwargs: dict[str, Any] = {"company_id": a.company_id, "session_id": a.session.id}
        # past the end: readable, no rows, the total still counted
        past = await chats.page_for_viewer(conn, **kwargs, viewer=None, limit=50, offset=50)
        assert past is not None and (past.chats, past.total) == ([], 1)
        past_msgs = await messages.page_for_viewer(
            conn, **kwargs, viewer=None, chat=a.chat.id, limit=50, offset=50
        )
        assert past_msgs is not None and (past_msgs.messages, past_msgs.total) == ([], -1)
        # a chat the session does not have
        missing = await messages.page_for_viewer(
            conn, **kwargs, viewer=None, chat="15559999999@c.us", limit=50
        )
        assert missing is not None and missing.chat_id is None
        # managers without a canRead grant on the session see nothing
        for nobody in (stranger.id, colleague.id):
            assert (
                await chats.page_for_viewer(conn, **kwargs, viewer=nobody, limit=50, offset=0)
                is None
            )
        await access.grant(
            conn,
            **kwargs,
            manager_id=a.manager.id,
            can_read=False,
            can_write=False,
            can_manage_chats=False,
            granted_by=None,
        )
        for page in (
            await chats.page_for_viewer(conn, **kwargs, viewer=a.manager.id, limit=50, offset=0),
            await messages.page_for_viewer(
                conn, **kwargs, viewer=a.manager.id, chat=a.chat.id, limit=50
            ),
        ):
            assert page is None
