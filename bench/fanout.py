"""N sockets on one gateway; one event logged and published; time until each socket has it."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import socketio
from redis.asyncio import Redis

from bench.stack import REDIS_URL, BenchStack
from bench.stats import summary
from shared import events
from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.eventwriter import EventWriter
from shared.states import SessionState

CONNECT_BATCH = 50


async def fanout(stack: BenchStack, company_id: str, session_id: str, n: int) -> dict[str, Any]:
    arrived: dict[int, float] = {}
    clients: list[socketio.AsyncClient] = []
    marker = uuid.uuid4().hex

    def make(i: int) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)

        async def on_state(data: Any) -> None:
            if data.get("reason") == marker:
                arrived[i] = time.perf_counter()

        client.on("whatsapp:state", on_state, namespace="/whatsapp")
        return client

    started_connect = time.perf_counter()
    for first in range(0, n, CONNECT_BATCH):
        batch = [make(i) for i in range(first, min(n, first + CONNECT_BATCH))]
        await asyncio.gather(
            *(
                c.connect(
                    stack.gateway_url,
                    namespaces=["/whatsapp"],
                    transports=["websocket"],
                    auth={"token": stack.token},
                    wait_timeout=30,
                )
                for c in batch
            )
        )
        clients.extend(batch)
    connect_s = time.perf_counter() - started_connect
    await asyncio.sleep(1.0)  # welcome and replay traffic settles

    event = events.StateEvent(
        session_id=uuid.UUID(session_id),
        company_id=uuid.UUID(company_id),
        data=events.StateData(state=SessionState.READY, previous=SessionState.READY, reason=marker),
    )
    redis = Redis.from_url(REDIS_URL)
    pg = make_pool(stack.database_url, min_size=1, max_size=1)
    await pg.open(wait=True, timeout=10)
    writer = EventWriter(pg, redis, channel=RedisNames().events_channel)
    published = time.perf_counter()
    async with writer.unit() as unit:
        unit.emit(event)
    async with asyncio.timeout(30):
        while len(arrived) < n:
            await asyncio.sleep(0.005)
    await pg.close()
    await redis.aclose()
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    result = summary([t - published for t in arrived.values()])
    return {"sockets": n, "connect_all_s": round(connect_s, 1), **result}
