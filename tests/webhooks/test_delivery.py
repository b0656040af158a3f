"""The sender delivers the event log to a webhook: signed, in order per session, every event,
whatever the receiver does (errors, timeouts, slowness, downtime)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import deliveries
from tests.support.receiver import Received, Receiver, verify
from tests.webhooks.conftest import SECRET, Shop, StartSender, emit, settled


def assert_in_order(receiver: Receiver) -> None:
    """Per session, no event was sent before every earlier one was accepted."""
    accepted: dict[str, int] = defaultdict(int)
    for r in receiver.received:
        session = r.event["sessionId"]
        assert r.event_id >= accepted[session], f"{r.event_id} sent after {accepted[session]}"
        if 200 <= r.answered < 300:
            accepted[session] = r.event_id


def once_each(receiver: Receiver, ids: list[int]) -> None:
    """Every event accepted, each one exactly once, in order."""
    assert receiver.accepted_ids() == ids


async def test_events_arrive_signed_in_order_with_their_event_id(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    await start_sender()
    first, second = shop.sessions
    ids = await emit(pg, redis, shop, first, ["a", "b"])
    ids += await emit(pg, redis, shop, second, ["c"])
    got = await receiver.wait_accepted(3)
    assert sorted(r.event_id for r in got) == ids == [1, 2, 3]
    assert receiver.accepted_ids(str(first)) == [1, 2]
    for r in got:
        assert r.verified, r.headers
        assert r.event["eventId"] == r.event_id
        assert (r.event["companyId"], r.event["v"]) == (str(shop.company.id), 1)
        assert r.event["type"] == r.headers["X-Webhook-Event"] == "state"
        assert r.headers["Content-Type"] == "application/json"
        assert r.headers["User-Agent"].startswith("wagateway-webhooks/")
        assert r.attempt == 1
        assert not verify(SECRET + "x", r.headers, r.body)  # the secret is in the signature
        assert not verify(SECRET, r.headers, r.body + b" ")  # and every byte of the body
    assert [r.event["data"]["reason"] for r in got if r.event_id < 3] == ["a", "b"]


async def test_500s_are_retried_with_backoff_until_accepted(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    failures = {2: 3}  # event 2 gets three 500s

    async def plan(r: Received) -> int:
        if failures.get(r.event_id, 0) > 0:
            failures[r.event_id] -= 1
            return 500
        return 200

    receiver.plan = plan
    await start_sender()
    ids = await emit(pg, redis, shop, shop.sessions[0], ["a", "b", "c", "d"])
    await receiver.wait_accepted(4)
    once_each(receiver, ids)
    assert_in_order(receiver)
    tries = [r.attempt for r in receiver.received if r.event_id == 2]
    assert tries == [1, 2, 3, 4]
    await settled(pg, shop.webhook.id, made=4)
    async with pg.connection() as conn:
        rows, _ = await deliveries.page(
            conn,
            company_id=shop.company.id,
            webhook_id=shop.webhook.id,
            status=None,
            event_id=2,
            session_id=None,
            limit=5,
            offset=0,
        )
        [row] = rows
        attempts = await deliveries.attempts(conn, delivery_id=row.id)
    assert (row.status, row.attempts, row.response_code) == ("delivered", 4, 200)
    assert [(a.attempt, a.response_code, a.error) for a in attempts] == [
        (1, 500, "HTTP 500"),
        (2, 500, "HTTP 500"),
        (3, 500, "HTTP 500"),
        (4, 200, None),
    ]
    assert all(a.latency_ms >= 0 for a in attempts)


async def test_a_receiver_that_times_out_is_retried(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    stalls = {1: 1}

    async def plan(r: Received) -> int:
        if stalls.get(r.event_id, 0) > 0:
            stalls[r.event_id] -= 1
            await asyncio.sleep(3)  # past APP_WEBHOOK_TIMEOUT_S (1 s here)
        return 200

    receiver.plan = plan
    await start_sender()
    ids = await emit(pg, redis, shop, shop.sessions[0], ["a", "b"])
    await receiver.wait_accepted(2)
    once_each(receiver, ids)
    assert [r.event_id for r in receiver.received][:2] == [1, 1]  # timed out, then again
    assert_in_order(receiver)


async def test_a_slow_receiver_gets_everything_in_order(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    async def plan(_: Received) -> int:
        await asyncio.sleep(0.2)  # slow, within the timeout
        return 200

    receiver.plan = plan
    await start_sender()
    first, second = shop.sessions
    ids = []
    for i in range(5):
        ids += await emit(pg, redis, shop, first if i % 2 else second, [f"e{i}"])
    await receiver.wait_accepted(5)
    assert sorted(receiver.accepted_ids()) == ids
    assert_in_order(receiver)
    assert all(r.attempt == 1 for r in receiver.received)


async def test_a_receiver_down_for_a_while_loses_nothing(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    await start_sender()
    first, second = shop.sessions
    ids = await emit(pg, redis, shop, first, ["before"])
    await receiver.wait_accepted(1)
    await receiver.stop()
    for i in range(10):
        ids += await emit(pg, redis, shop, first if i % 2 else second, [f"down-{i}"])
    await asyncio.sleep(1.0)  # connection refused meanwhile: retried with backoff
    await receiver.start()
    await receiver.wait_accepted(11)
    assert sorted(receiver.accepted_ids()) == ids
    for session in (first, second):
        mine = receiver.accepted_ids(str(session))
        assert mine == sorted(mine)
    assert_in_order(receiver)
    await settled(pg, shop.webhook.id, made=11)
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status")
        assert {r["status"]: r["n"] for r in await cur.fetchall()} == {"delivered": 11}


async def test_filters_pick_event_types_and_sessions(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    first, second = shop.sessions
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE webhooks SET event_types = %(t)s, session_ids = %(s)s WHERE id = %(id)s",
            {"t": ["state"], "s": [second], "id": shop.webhook.id},
        )
    await start_sender()
    await emit(pg, redis, shop, first, ["not-this-session"])
    wanted = await emit(pg, redis, shop, second, ["this-one"])
    await receiver.wait_accepted(1)
    await asyncio.sleep(0.5)
    assert receiver.accepted_ids() == wanted
    assert {r.event["sessionId"] for r in receiver.received} == {str(second)}


async def test_replay_from_a_cursor_sends_the_same_event_ids_again(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    running = await start_sender()
    ids = await emit(pg, redis, shop, shop.sessions[0], ["a", "b", "c"])
    await receiver.wait_accepted(3)
    # stopped first: a running sender may still be recording the cursor of what it just sent
    # (the API's replay goes through the sender's own lane; here the row is set by hand)
    running.sender.request_stop()
    await running.task
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE webhooks SET cursor = %(at)s WHERE id = %(id)s",
            {"at": ids[0], "id": shop.webhook.id},
        )
    await start_sender()
    await receiver.wait_accepted(5)
    # the event log's ids come from one sequence shared with whatever ran before in this database
    assert receiver.accepted_ids() == [*ids, ids[1], ids[2]]
    first, again = receiver.accepted()[1], receiver.accepted()[3]
    assert first.event == again.event and first.delivery != again.delivery


async def test_two_senders_deliver_once(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    await start_sender()
    await start_sender()  # stands by: one holds the lock
    ids = await emit(pg, redis, shop, shop.sessions[0], [f"e{i}" for i in range(20)])
    await receiver.wait_accepted(20)
    await asyncio.sleep(0.5)
    once_each(receiver, ids)
