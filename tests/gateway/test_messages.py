"""Messages: page/limit and ``before`` cursor over 500 messages (with timestamp ties), sending
(202, idempotent on clientMessageId, ``?wait``), sending to a number, input limits, rights."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import messages
from tests.gateway.as_worker import set_message_status
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.wa import grant, queued, seed_chat, seed_messages, seed_session

Client = TestClient[Any, Any]


async def _chat(pg: AsyncConnectionPool, t: Tenant) -> tuple[Any, Any]:
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "79001112233@c.us", name="Ann")
    return session, chat


async def test_page_and_cursor_walk_500_messages_exactly(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    expected = [str(i) for i in await seed_messages(pg, session.id, chat.id, 500)]
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/messages"

    by_page: list[str] = []
    for page in range(1, 7):
        resp = await client.get(url, params={"page": page, "limit": 90}, headers=t.admin.headers)
        data = (await resp.json())["data"]
        assert data["pagination"] == {"page": page, "limit": 90, "total": 500, "pages": 6}
        by_page += [m["id"] for m in data["messages"]]
    assert by_page == expected

    by_cursor: list[str] = []
    before: str | None = None
    for _ in range(10):
        params: dict[str, str | int] = {"limit": 77, **({"before": before} if before else {})}
        resp = await client.get(url, params=params, headers=t.admin.headers)
        data = (await resp.json())["data"]
        assert data["pagination"]["total"] == 500 - len(by_cursor)
        by_cursor += [m["id"] for m in data["messages"]]
        before = data["nextBefore"]
        if before is None:
            break
    assert by_cursor == expected

    first = (await (await client.get(url, headers=t.admin.headers)).json())["data"]["messages"]
    assert len(first) == 50
    assert first[0]["waChatId"] == chat.wa_chat_id and first[0]["direction"] == "in"
    # the cursor must be a message of this chat
    other_chat = await seed_chat(pg, session.id, "2@c.us")
    other = await seed_messages(pg, session.id, other_chat.id, 1)
    for bad in (str(other[0]), "00000000-0000-4000-8000-000000000000", "nope"):
        resp = await client.get(url, params={"before": bad}, headers=t.admin.headers)
        assert resp.status == 400 and (await resp.json())["error"]["details"][0]["field"] == (
            "before"
        )


async def test_send_is_202_pending_and_queues_send_text(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    resp = await client.post(url, json={"message": "Hello 👋"}, headers=t.admin.headers)
    assert resp.status == 202
    data = (await resp.json())["data"]
    assert data["status"] == "pending" and data["chatId"] == str(chat.id)
    assert data["message"]["body"] == "Hello 👋" and data["message"]["direction"] == "out"
    jobs = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))
    assert [(j.job_id, j.function) for j in jobs] == [
        (NAMES.send_job_id(data["messageId"]), "send_text")
    ]
    assert jobs[0].args[0] == {
        "session_id": str(session.id),
        "message_id": data["messageId"],
        "client_msg_id": data["message"]["clientMessageId"],
        "body": "Hello 👋",
        "wa_chat_id": chat.wa_chat_id,
        "to_phone": None,
    }


async def test_same_client_message_id_is_the_same_message(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    body = {"message": "once", "clientMessageId": "ui-42"}
    first = await client.post(url, json=body, headers=t.admin.headers)
    second = await client.post(url, json=body, headers=t.admin.headers)
    assert first.status == second.status == 202
    assert second.headers["X-Idempotent-Replay"] == "true"
    one, two = (await first.json())["data"], (await second.json())["data"]
    assert one["messageId"] == two["messageId"]
    assert len(await queued(arq, NAMES.session_queue(str(session.id)))) == 1
    async with pg.connection() as conn:
        assert (
            await messages.count_for_chat(
                conn, company_id=t.company.id, session_id=session.id, chat_id=chat.id
            )
            == 1
        )
    reused = await client.post(
        url, json={"message": "other text", "clientMessageId": "ui-42"}, headers=t.admin.headers
    )
    assert reused.status == 409
    assert (await reused.json())["error"]["details"][0]["field"] == "clientMessageId"


async def _worker_marks(
    pg: AsyncConnectionPool, redis: Redis, session_id: UUID, message_id: str, how: str
) -> None:
    await asyncio.sleep(0.3)
    async with pg.connection() as conn:
        if how == "sent":
            await messages.worker_mark_sent(
                conn, session_id=session_id, message_id=UUID(message_id), wa_msg_id="true_x_1"
            )
        elif how == "unconfirmed":  # typed on the page, its row not seen within the timeout
            await set_message_status(pg, redis, UUID(message_id), "unconfirmed")
        else:
            await messages.worker_mark_failed(
                conn, session_id=session_id, message_id=UUID(message_id), error="not on whatsapp"
            )


@pytest.mark.parametrize("outcome", ["sent", "unconfirmed", "failed"])
async def test_wait_returns_the_final_status(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis, outcome: str
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send?wait=5"
    body = {"message": "wait for me", "clientMessageId": f"w-{outcome}"}
    send = asyncio.create_task(client.post(url, json=body, headers=t.admin.headers))
    message_id = None  # found by the client's id, as a worker would find the pending row
    for _ in range(50):
        await asyncio.sleep(0.05)
        async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT id FROM wa_messages WHERE client_msg_id = %(c)s",
                {"c": body["clientMessageId"]},
            )
            row = await cur.fetchone()
        if row:
            message_id = str(row["id"])
            break
    assert message_id is not None
    await _worker_marks(pg, redis, session.id, message_id, outcome)
    resp = await send
    assert resp.status == 200
    data = (await resp.json())["data"]
    assert data["status"] == outcome and data["messageId"] == message_id
    if outcome == "failed":
        assert data["message"]["error"] == "not on whatsapp"


async def test_wait_times_out_still_pending(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    resp = await client.post(url + "?wait=1", json={"message": "slow"}, headers=t.admin.headers)
    assert resp.status == 202 and (await resp.json())["data"]["status"] == "pending"
    for bad in ("31", "-1", "x"):
        r = await client.post(url + f"?wait={bad}", json={"message": "m"}, headers=t.admin.headers)
        assert r.status == 400 and (await r.json())["error"]["details"][0]["field"] == "wait"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"message": "x" * 4097}, "message"),
        ({"message": ""}, "message"),
        ({"message": "  \n\t "}, "message"),
        ({"message": "nul \x00 inside"}, "message"),
        ({"message": 5}, "message"),
        ({}, "message"),
        ({"message": "hi", "clientMessageId": ""}, "clientMessageId"),
        ({"message": "hi", "clientMessageId": "x" * 101}, "clientMessageId"),
        ({"message": "hi", "extra": 1}, "extra"),
    ],
)
async def test_bad_send_bodies_are_400(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    body: dict[str, Any],
    field: str,
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    resp = await client.post(url, json=body, headers=t.admin.headers)
    assert resp.status == 400
    assert (await resp.json())["error"]["details"][0]["field"] == field


async def test_exactly_4096_characters_is_accepted(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    resp = await client.post(url, json={"message": "я" * 4096}, headers=t.admin.headers)
    assert resp.status == 202


async def test_send_to_number_normalizes_and_reuses_the_chat(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    url = f"/api/whatsapp/sessions/{session.id}/messages"
    first = await client.post(
        url, json={"to": "+7 (900) 123-45.67", "message": "hi"}, headers=t.admin.headers
    )
    assert first.status == 202
    one = (await first.json())["data"]
    assert one["message"]["waChatId"] == "79001234567@c.us"
    second = await client.post(
        url, json={"to": "79001234567", "message": "again"}, headers=t.admin.headers
    )
    assert (await second.json())["data"]["chatId"] == one["chatId"]
    jobs = await queued(arq, NAMES.session_queue(str(session.id)))
    assert [(f, a["to_phone"], a["wa_chat_id"]) for f, a in jobs] == [
        ("send_text", "79001234567", None),
        ("send_text", "79001234567", None),
    ]
    listed = await client.get(f"/api/whatsapp/sessions/{session.id}/chats", headers=t.admin.headers)
    assert [c["name"] for c in (await listed.json())["data"]["chats"]] == ["+79001234567"]


@pytest.mark.parametrize(
    "to",
    ["123456", "1234567890123456", "+7 900 abc", "7900#123456", "++79001234567", "", 79001234567],
)
async def test_bad_numbers_are_400_naming_to(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, to: Any
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    resp = await client.post(
        f"/api/whatsapp/sessions/{session.id}/messages",
        json={"to": to, "message": "hi"},
        headers=t.admin.headers,
    )
    assert resp.status == 400
    err = (await resp.json())["error"]
    assert err["details"][0]["field"] == "to" and "to" in err["message"]


async def test_write_right_is_needed_to_send_read_right_to_see(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    send = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send"
    to_number = f"/api/whatsapp/sessions/{session.id}/messages"
    history = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/messages"
    body = {"message": "hi", "to": "79001234567"}
    # no access row: the session does not exist for this manager
    assert (await client.get(history, headers=t.manager.headers)).status == 404
    assert (await client.post(send, json=body, headers=t.manager.headers)).status == 404
    await grant(pg, t.company.id, session.id, t.manager.id, read=False, write=True)
    assert (await client.get(history, headers=t.manager.headers)).status == 404
    assert (await client.post(to_number, json=body, headers=t.manager.headers)).status == 404
    await grant(pg, t.company.id, session.id, t.manager.id, read=True, write=False)
    assert (await client.get(history, headers=t.manager.headers)).status == 200
    denied = await client.post(send, json={"message": "hi"}, headers=t.manager.headers)
    assert denied.status == 403
    assert "canWrite" in (await denied.json())["error"]["message"]
    assert (await client.post(to_number, json=body, headers=t.manager.headers)).status == 403
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []
    await grant(pg, t.company.id, session.id, t.manager.id, read=True, write=True)
    allowed = await client.post(send, json={"message": "hi"}, headers=t.manager.headers)
    assert allowed.status == 202
    assert (await allowed.json())["data"]["message"]["direction"] == "out"


async def test_sending_through_a_stopped_session_is_409(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="stopped", desired="stopped")
    chat = await seed_chat(pg, session.id, "1@c.us")
    base = f"/api/whatsapp/sessions/{session.id}"
    for path, body in (
        (f"{base}/chats/{chat.id}/send", {"message": "hi"}),
        (f"{base}/messages", {"to": "79001234567", "message": "hi"}),
    ):
        resp = await client.post(path, json=body, headers=t.admin.headers)
        assert resp.status == 409
        assert "stopped" in (await resp.json())["error"]["message"]
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []


async def test_unconfirmed_is_listed_then_reconciled_in_place(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis
) -> None:
    t = await make_tenant()
    session, chat = await _chat(pg, t)
    base = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}"
    sent = await client.post(f"{base}/send", json={"message": "typed"}, headers=t.admin.headers)
    message_id = (await sent.json())["data"]["messageId"]
    await _worker_marks(pg, redis, session.id, message_id, "unconfirmed")
    listed = await client.get(f"{base}/messages", headers=t.admin.headers)
    [shown] = (await listed.json())["data"]["messages"]
    assert (shown["id"], shown["status"]) == (message_id, "unconfirmed")
    await set_message_status(pg, redis, UUID(message_id), "sent")  # its row appeared on the page
    # as a client refreshing on the event: the gateway's kept page goes with the event's wake-up,
    # which its relay reads from Redis a moment after the publish (README, Known limits)
    for _ in range(50):
        listed = await client.get(f"{base}/messages", headers=t.admin.headers)
        [shown] = (await listed.json())["data"]["messages"]
        if shown["status"] == "sent":
            break
        await asyncio.sleep(0.1)
    assert (shown["id"], shown["status"]) == (message_id, "sent")
