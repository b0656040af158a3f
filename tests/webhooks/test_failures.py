"""Deliveries that cannot succeed: dead-lettered after the retry window, then redelivered by
hand through the API with the same event id; the sender killed mid-delivery redelivers the same
event id when it comes back; targets on private addresses are refused at delivery time."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import deliveries
from shared.db.types import Delivery
from shared.notices import announce_webhooks_changed
from shared.settings import Settings
from tests.conftest import MakeUser
from tests.support.databases import NAMES
from tests.support.procs import Proc
from tests.support.receiver import Received, Receiver
from tests.webhooks.conftest import Shop, StartSender, emit, settled

Client = TestClient[Any, Any]


async def _rows(pg: AsyncConnectionPool, shop: Shop) -> list[Delivery]:
    async with pg.connection() as conn:
        rows, _ = await deliveries.page(
            conn,
            company_id=shop.company.id,
            webhook_id=shop.webhook.id,
            status=None,
            event_id=None,
            session_id=None,
            limit=50,
            offset=0,
        )
    return rows


async def test_dead_letter_after_the_retry_window_then_redelivered_by_hand(
    client: Client,
    make_user: MakeUser,
    pg: AsyncConnectionPool,
    redis: Redis,
    receiver: Receiver,
    shop: Shop,
    start_sender: StartSender,
) -> None:
    down = True

    async def plan(_: Received) -> int:
        return 503 if down else 200

    receiver.plan = plan
    await start_sender(webhook_retry_for_s=0.5)
    first = await emit(pg, redis, shop, shop.sessions[0], ["lost", "next"])
    await settled(pg, shop.webhook.id, made=2)
    rows = {r.event_id: r for r in await _rows(pg, shop)}
    assert {i: rows[i].status for i in first} == {1: "dead", 2: "dead"}
    assert rows[1].attempts >= 2 and rows[1].response_code == 503

    admin = await make_user("admin", shop.company)
    base = f"/api/webhooks/{shop.webhook.id}/deliveries"
    listed = await (await client.get(f"{base}?status=dead", headers=admin.headers)).json()
    assert [d["eventId"] for d in listed["data"]["deliveries"]] == [2, 1]
    detail = await (await client.get(f"{base}/{rows[1].id}", headers=admin.headers)).json()
    tries = detail["data"]["attempts"]
    assert [t["responseCode"] for t in tries] == [503] * len(tries)
    assert [t["attempt"] for t in tries] == list(range(1, len(tries) + 1))

    down = False
    again = await client.post(f"{base}/{rows[1].id}/redeliver", headers=admin.headers)
    assert again.status == 202, await again.text()
    made = (await again.json())["data"]["delivery"]
    assert (made["eventId"], made["status"], made["redelivery"]) == (1, "pending", True)
    [got] = await receiver.wait_accepted(1)
    assert (got.event_id, got.delivery, got.event["data"]["reason"]) == (1, made["id"], "lost")


async def test_the_sender_killed_mid_delivery_sends_the_same_event_again(
    settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    receiver: Receiver,
    shop: Shop,
    tmp_path: Path,
) -> None:
    arrived, released = asyncio.Event(), asyncio.Event()

    async def plan(r: Received) -> int:
        if r is receiver.received[0]:  # the sender waits for an answer that does not come
            arrived.set()
            await released.wait()
        return 200

    receiver.plan = plan
    env = {
        "APP_MODE": "test",
        "APP_DATABASE_URL": settings.database_url,
        "APP_REDIS_URL": settings.redis_url,
        "APP_REDIS_PREFIX": settings.redis_prefix,
        "APP_WEBHOOK_ALLOW_PRIVATE": "true",
        "APP_WEBHOOK_TIMEOUT_S": "30",
        "APP_EVENT_POLL_S": "0.2",
        "APP_LOG_LEVEL": "INFO",
    }
    first = Proc("webhooks-1", ["-m", "webhooks"], env, tmp_path)
    try:
        ids = await emit(pg, redis, shop, shop.sessions[0], ["in-flight", "after"])
        await asyncio.wait_for(arrived.wait(), 20)
        first.popen.send_signal(signal.SIGKILL)  # mid-delivery: the POST is unanswered
        first.popen.wait(10)
        second = Proc("webhooks-2", ["-m", "webhooks"], env, tmp_path)
        try:
            await receiver.wait_accepted(2)
        finally:
            second.close()
            released.set()
    finally:
        first.close()
    assert [r.event_id for r in receiver.received] == [ids[0], *ids]
    killed, resent = receiver.received[:2]
    assert killed.delivery == resent.delivery  # the same delivery, sent again
    assert killed.event == resent.event and killed.event["eventId"] == ids[0]


async def test_private_targets_are_refused_when_sending(
    pg: AsyncConnectionPool, redis: Redis, receiver: Receiver, shop: Shop, start_sender: StartSender
) -> None:
    """Saved before the rule, or pointed at a name that now resolves to loopback: the sender
    checks the address it would connect to."""
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE webhooks SET url = %(u)s WHERE id = %(id)s",
            {"u": f"http://localhost:{receiver.port}/hook", "id": shop.webhook.id},
        )
    await start_sender(webhook_allow_private=False)
    await emit(pg, redis, shop, shop.sessions[0], ["by-name"])
    await settled(pg, shop.webhook.id)
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE webhooks SET url = %(u)s WHERE id = %(id)s",
            {"u": receiver.url, "id": shop.webhook.id},  # a literal 127.0.0.1
        )
    await announce_webhooks_changed(redis, NAMES)  # as the API does after a change
    await asyncio.sleep(0.3)
    await emit(pg, redis, shop, shop.sessions[0], ["literal"])
    await settled(pg, shop.webhook.id, made=2)
    literal, by_name = await _rows(pg, shop)
    assert [(r.status, r.attempts) for r in (literal, by_name)] == [("dead", 1), ("dead", 1)]
    assert by_name.error and "localhost resolves to non-public addresses" in by_name.error
    assert literal.error and "127.0.0.1 is not a public address" in literal.error
    assert receiver.received == []
