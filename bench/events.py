"""Event log figures: event -> webhook receiver latency, sustained events/s from one company to one
receiver (the real ``python -m webhooks``), and a socket resuming 1,000 missed events.

Run alone with ``python -m bench.events`` (gateway + webhook sender only), or within ``make bench``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from bench.stack import REDIS_URL, BenchStack
from bench.stats import summary
from shared import events
from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.db.repos import sessions, webhooks
from shared.eventwriter import EventWriter
from shared.states import SessionState
from tests.support.procs import free_port

TARGETS = {
    "webhook_latency_p50_ms": 50,
    "webhook_events_per_s": 1000,
    "resume_1000_s": 1.0,
}
SESSIONS = 8
UNIT = 10  # events per transaction in the throughput run


class Receiver:
    """Answers 200 at once and notes when each event id arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrived: dict[int, float] = {}
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        await request.read()
        self.arrived.setdefault(int(request.headers["X-Webhook-Event-Id"]), time.perf_counter())
        return web.Response(text="ok")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait(self, ids: list[int], timeout_s: float) -> None:
        async with asyncio.timeout(timeout_s):
            while any(i not in self.arrived for i in ids):
                await asyncio.sleep(0.002)


def _state(company: uuid.UUID, session: uuid.UUID, reason: str) -> events.StateEvent:
    data = events.StateData(state=SessionState.READY, previous=SessionState.READY, reason=reason)
    return events.StateEvent(session_id=session, company_id=company, data=data)


async def _log(writer: EventWriter, batch: Sequence[events.Event]) -> list[int]:
    async with writer.unit() as unit:
        for event in batch:
            unit.emit(event)
    return [e.event_id or 0 for e in unit.logged]


async def webhook_latency(
    writer: EventWriter, receiver: Receiver, company: uuid.UUID, session: uuid.UUID, n: int
) -> dict[str, Any]:
    """One event at a time: its commit -> the receiver has it."""
    samples = []
    for i in range(n):
        started = time.perf_counter()
        [event_id] = await _log(writer, [_state(company, session, f"lat-{i}")])
        await receiver.wait([event_id], 10)
        samples.append(receiver.arrived[event_id] - started)
    return summary(samples)


async def webhook_throughput(
    writer: EventWriter,
    receiver: Receiver,
    company: uuid.UUID,
    lanes: Sequence[uuid.UUID],
    *,
    n: int,
    per_unit: int = UNIT,
) -> dict[str, Any]:
    """``n`` events from one company to one receiver, logged while the sender delivers (a
    writer per session, ``per_unit`` events per transaction, as an observed message logs its
    message and chat events together): first commit -> last event received."""
    ids: list[int] = []
    units = n // len(lanes) // per_unit

    async def write(session: uuid.UUID) -> None:
        for u in range(units):
            batch = [_state(company, session, f"tp-{u}-{i}") for i in range(per_unit)]
            ids.extend(await _log(writer, batch))

    started = time.perf_counter()
    await asyncio.gather(*(write(s) for s in lanes))
    produced = time.perf_counter() - started
    await receiver.wait(ids, 120)
    took = max(receiver.arrived[i] for i in ids) - started
    return {
        "events": len(ids),
        "sessions": len(lanes),
        "events_per_transaction": per_unit,
        "logged_per_s": round(len(ids) / produced),
        "delivered_per_s": round(len(ids) / took),
        "took_s": round(took, 2),
    }


async def socket_resume(
    stack: BenchStack, writer: EventWriter, company: uuid.UUID, session: uuid.UUID, n: int
) -> dict[str, Any]:
    """A socket misses ``n`` events, then resumes: connect -> all of them and resume-complete."""
    samples = []
    for _ in range(3):
        client = socketio.AsyncClient(reconnection=False)
        confirmed: asyncio.Queue[Any] = asyncio.Queue()
        client.on("connection-confirmed", confirmed.put, namespace="/whatsapp")
        await client.connect(
            stack.gateway_url,
            namespaces=["/whatsapp"],
            transports=["websocket"],
            auth={"token": stack.token},
        )
        cursor = (await asyncio.wait_for(confirmed.get(), 10))["lastEventId"]
        await client.disconnect()
        for first in range(0, n, 100):  # missed meanwhile
            batch = [_state(company, session, f"missed-{first + i}") for i in range(100)]
            await _log(writer, batch[: n - first])
        got: list[int] = []
        done = asyncio.Event()
        back = socketio.AsyncClient(reconnection=False)
        back.on(
            "whatsapp:state", lambda d, got=got: got.append(d["eventId"]), namespace="/whatsapp"
        )
        back.on("resume-complete", lambda _, done=done: done.set(), namespace="/whatsapp")
        started = time.perf_counter()
        await back.connect(
            stack.gateway_url,
            namespaces=["/whatsapp"],
            transports=["websocket"],
            auth={"token": stack.token, "lastEventId": cursor},
        )
        await asyncio.wait_for(done.wait(), 30)
        samples.append(time.perf_counter() - started)
        assert got == list(range(cursor + 1, cursor + n + 1)), (len(got), got[:3])
        await back.disconnect()
    return {"missed": n, **summary(samples)}


async def _fixtures(pg: AsyncConnectionPool, company: uuid.UUID, url: str) -> list[uuid.UUID]:
    async with pg.connection() as conn:
        made = [
            (await sessions.create(conn, company_id=company, name=f"bench-{i}")).id
            for i in range(SESSIONS)
        ]
        for session_id in made:  # rows for events only: no worker should start them
            await sessions.set_desired(
                conn, company_id=company, session_id=session_id, desired_state="stopped"
            )
        await webhooks.create(
            conn,
            company_id=company,
            url=url,
            description="bench",
            event_types=[],
            session_ids=None,
            secret="whsec_bench-0123456789abcdef",
            enabled=True,
        )
    return made


async def run_events(stack: BenchStack) -> dict[str, Any]:
    receiver = Receiver()
    await receiver.start()
    pg = make_pool(stack.database_url, min_size=SESSIONS, max_size=SESSIONS + 2)
    await pg.open(wait=True, timeout=10)
    redis = Redis.from_url(REDIS_URL)
    writer = EventWriter(pg, redis, channel=RedisNames().events_channel)
    company = uuid.UUID(stack.company_id)
    try:
        lanes = await _fixtures(pg, company, f"http://127.0.0.1:{receiver.port}/hook")
        async with aiohttp.ClientSession() as http:
            await stack.login(http)
        await webhook_latency(writer, receiver, company, lanes[0], 20)  # warm-up
        results = {
            "webhook_latency": await webhook_latency(writer, receiver, company, lanes[0], 200),
            "webhook_throughput": await webhook_throughput(
                writer, receiver, company, lanes, n=10_000
            ),
            "socket_resume": await socket_resume(stack, writer, company, lanes[0], 1000),
        }
    finally:
        await redis.aclose()
        await pg.close()
        await receiver.stop()
    return results


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="wagw-bench-events-") as tmp:
        stack = BenchStack(Path(tmp))
        try:
            stack.up(parts=("gateway", "webhooks"))
            results = asyncio.run(run_events(stack))
        finally:
            stack.down()
    for name, value in results.items():
        sys.stdout.write(json.dumps({"bench": name, **value}) + "\n")
    sys.stdout.write(json.dumps({"bench": "events_summary", **results, "targets": TARGETS}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
