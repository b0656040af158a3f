"""Nothing lost, end to end: a gateway killed between its database commit and its Redis publish.
The change and its event are committed; the publish never happens; another gateway's sockets
and the webhook receiver still get the event, read from the log."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import event_log
from shared.settings import Settings
from tests.conftest import MakeUser
from tests.support.databases import NAMES
from tests.support.gateways import start_gateway
from tests.support.procs import free_port
from tests.support.receiver import Receiver
from tests.support.sockets import SocketProbe
from tests.support.tcp_proxy import TcpProxy, target_of, via
from tests.support.wa import seed_chat
from tests.webhooks.conftest import Shop, StartSender

Client = TestClient[Any, Any]


async def _logged(pg: AsyncConnectionPool, shop: Shop, timeout_s: float = 20.0) -> int:
    """Until the company has an event in the log (the commit happened); its id."""
    async with asyncio.timeout(timeout_s):
        while True:
            async with pg.connection() as conn:
                where = await event_log.position(conn, company_id=shop.company.id)
            if where.last_id:
                return where.last_id
            await asyncio.sleep(0.02)


async def test_a_gateway_killed_between_commit_and_publish_loses_nothing(
    settings: Settings,
    client: Client,
    make_user: MakeUser,
    pg: AsyncConnectionPool,
    redis: Redis,
    receiver: Receiver,
    shop: Shop,
    start_sender: StartSender,
    tmp_path: Path,
) -> None:
    admin = await make_user("admin", shop.company)
    chat = await seed_chat(pg, shop.sessions[0], "79001234567@c.us", name="Ann")
    await start_sender()
    probe = SocketProbe()  # on the gateway that lives
    assert await probe.connect(str(client.make_url("")).rstrip("/"), admin.token)
    await probe.wait_for("connection-confirmed")
    channel = redis.pubsub()
    await channel.subscribe(NAMES.events_channel)

    redis_proxy = TcpProxy(*target_of(settings.redis_url, 6379))
    await redis_proxy.start()
    port = free_port()
    doomed = start_gateway(
        settings.model_copy(update={"redis_url": via(settings.redis_url, redis_proxy.port)}),
        port,
        tmp_path,
        "gateway-doomed",
        APP_REDIS_TIMEOUT_S="30",  # its publish waits on a Redis that swallows everything
    )
    try:
        await asyncio.sleep(0.5)  # its relay subscribed: the next Redis call is the publish
        redis_proxy.blackhole()
        url = f"http://127.0.0.1:{port}/api/whatsapp/sessions/{chat.session_id}/chats/{chat.id}"
        async with aiohttp.ClientSession() as http:
            patch = asyncio.create_task(
                http.patch(url, json={"archived": True}, headers=admin.headers)
            )
            event_id = await _logged(pg, shop)  # committed, and now stuck publishing
            doomed.kill()
            with contextlib.suppress(aiohttp.ClientError):
                await patch
    finally:
        doomed.close()
        await redis_proxy.close()

    [live] = await probe.wait_for("whatsapp:chat_updated", timeout_s=10)
    assert (live["eventId"], live["chat"]["id"], live["chat"]["archived"]) == (
        event_id,
        str(chat.id),
        True,
    )
    [hooked] = await receiver.wait_accepted(1)
    assert (hooked.event_id, hooked.event["type"], hooked.verified) == (event_id, "chat", True)
    assert hooked.event["data"]["chat"]["archived"] is True
    published = await channel.get_message(ignore_subscribe_messages=True, timeout=0.5)
    assert published is None, "the killed gateway never published: the log delivered it"
    await channel.aclose()  # type: ignore[no-untyped-call]
    await probe.disconnect()
    assert "gateway-doomed" in doomed.name and not doomed.alive()
