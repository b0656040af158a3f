"""Never silent: what the runtime cannot read is counted, surfaced on the session, and the rest of
the chat is still captured (a runtime in this process, real Chromium, Redis and Postgres)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import jobs
from shared.db.repos import chats, messages, sessions
from shared.db.types import Chat, Message
from shared.settings import Settings
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.runtime import Running, linked_runtime, until
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker.browser.selectors import SELECTORS

pytestmark = pytest.mark.e2e


@pytest.fixture
async def running(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    tmp_path: Path,
) -> AsyncIterator[Running]:
    company = await make_company()
    await sim.config(bridge="off")  # rows and drift are the page bridge's
    async with linked_runtime(
        settings, sim, pg, redis, company.id, tmp_path, wa_url=sim_url, bridge="page"
    ) as running:
        yield running


async def _chat_messages(r: Running, chat: Chat) -> list[Message]:
    async with r.pg.connection() as conn:
        found = await messages.list_for_chat(
            conn, company_id=r.company_id, session_id=r.session_id, chat_id=chat.id, limit=50
        )
    return list(reversed(found))


async def _chat(r: Running, wa_chat_id: str) -> Chat | None:
    async with r.pg.connection() as conn:
        return await chats.worker_get_by_wa_id(conn, session_id=r.session_id, wa_chat_id=wa_chat_id)


async def _drift(r: Running, kind: str) -> dict[str, Any] | None:
    async with r.pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=r.session_id)
    return row.page_drift.get(kind) if row else None


async def _counter(r: Running, kind: str) -> int:
    raw: Any = r.redis.hget(NAMES.drift_counts, kind)  # redis-py types this loosely
    value = await raw
    return int(value or 0)


def _append_copy(data_id: str, pre: str | None) -> Callable[[Any], None]:
    """Append a copy of the open chat's last row with another data-id (and header)."""

    def run(driver: Any) -> None:
        driver.execute_script(
            "const rows = document.querySelectorAll(arguments[0]);"
            "const row = rows[rows.length - 1].closest('[role=row]');"
            "const copy = row.cloneNode(true);"
            "copy.querySelector('[data-id]').setAttribute('data-id', arguments[1]);"
            "if (arguments[2] !== null) {"
            "  copy.querySelector(arguments[3]).setAttribute('data-pre-plain-text', arguments[2]);"
            "}"
            "row.parentElement.append(copy);",
            SELECTORS["messageRow"],
            data_id,
            pre,
            SELECTORS["prePlain"],
        )

    return run


async def test_unreadable_rows_are_counted_and_the_rest_is_captured(running: Running) -> None:
    r = running
    rob = unique_phone()
    await r.sim.inbound(r.phone, rob, "one", name="Rob")

    async def stored(bodies: list[str]) -> list[Message] | None:
        chat = await _chat(r, f"{rob}@c.us")
        got = await _chat_messages(r, chat) if chat else []
        return got if [m.body for m in got] == bodies else None

    await until(lambda: stored(["one"]), "the first message")

    # a row with no usable id: counted once, logged, on the session; nothing stored for it
    await r.browser.call(_append_copy("not an id", None))
    await until(lambda: _drift(r, "row_unparsed"), "row_unparsed on the session", 15)
    assert await _counter(r, "row_unparsed") == 1

    # a row whose time cannot be read: stored with the capture time
    odd_id = "3A" + secrets.token_hex(9).upper()
    before = datetime.now(UTC) - timedelta(seconds=5)
    await r.browser.call(_append_copy(odd_id, "[sometime] Rob: "))
    await r.sim.inbound(r.phone, rob, "two", name="Rob")
    got = await until(lambda: stored(["one", "one", "two"]), "the rest of the chat")
    odd = next(m for m in got if m.wa_msg_id == odd_id)
    assert odd.wa_timestamp is not None and odd.wa_timestamp >= before
    await until(lambda: _drift(r, "time_unparsed"), "time_unparsed on the session", 15)
    assert await _counter(r, "time_unparsed") == 1
    drift = await _drift(r, "row_unparsed")
    assert drift is not None and drift["count"] == 1 and drift["lastAt"]


async def test_a_chat_without_any_id_gets_a_page_id_and_is_counted(running: Running) -> None:
    r = running
    lee = unique_phone()  # known to the account only by its lid: no number anywhere on the page
    await r.sim.inbound(r.phone, lee, "hello from a lid", name="Lee", via="lid")

    async def page_chat() -> Chat | None:
        async with r.pg.connection() as conn:
            return await chats.worker_find_by_name(conn, session_id=r.session_id, name="Lee")

    chat = await until(page_chat, "Lee's chat")
    assert chat.wa_chat_id.startswith("page:") and chat.phone_jid is None

    async def first() -> bool:
        return [m.body for m in await _chat_messages(r, chat)] == ["hello from a lid"]

    await until(first, "the message in Lee's chat")
    await until(lambda: _drift(r, "chat_id_unresolved"), "chat_id_unresolved", 15)
    assert await _counter(r, "chat_id_unresolved") == 1

    # more from them lands in the same chat, and replies work (by name)
    await r.sim.inbound(r.phone, lee, "again", name="Lee", via="lid")

    async def both() -> bool:
        return [m.body for m in await _chat_messages(r, chat)] == ["hello from a lid", "again"]

    await until(both, "the second message in the same chat")
    async with r.pg.connection() as conn:
        reply, _ = await messages.create_outgoing(
            conn,
            session_id=r.session_id,
            chat_id=chat.id,
            client_msg_id="reply-1",
            body="hi Lee",
            sent_by_user_id=None,
        )
    await r.runtime.send_text(
        jobs.SendText(
            session_id=r.session_id,
            message_id=reply.id,
            client_msg_id="reply-1",
            body="hi Lee",
            wa_chat_id=chat.wa_chat_id,
        )
    )
    async with r.pg.connection() as conn:
        sent = await messages.worker_get(conn, session_id=r.session_id, message_id=reply.id)
    assert sent is not None and sent.status in ("sent", "delivered", "read")
    assert [m["text"] for m in await r.sim.sent(r.phone)] == ["hi Lee"]
