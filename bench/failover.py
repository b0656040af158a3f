"""Failover figure: the holder of a linked session is killed (kill -9 of the worker and its
Chromium, as a host that dies) and the session comes back ``ready`` on the other host's worker
without a QR. Runs with the default lease and reconcile settings; p50 and max in JSON, with what
a failover must not cost: inbound messages lost, messages sent twice, QR codes shown, and
writes with the killed holder's fencing token that Postgres accepted.

Both workers share one profile directory (a shared volume); with portable profile snapshots the
other host restores the profile instead. ``python -m bench.failover [runs]`` prints JSON lines;
``measure`` is the piece the chaos target can reuse on its own stack.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import aiohttp
import psycopg
import redis.asyncio as aioredis
from arq.connections import RedisSettings, create_pool

from bench.stack import REDIS_URL, BenchStack
from shared.constants import RedisNames
from shared.fencing import Fence, is_stale
from shared.queues import enqueue_start
from tests.support.procs import Proc
from tests.support.sim import SimClient

T = TypeVar("T")
TARGET_P50_S = 8.0
HOSTS = ("host-a", "host-b")
PHONE, CONTACT = "15550303030", "15550404040"
STALE_WRITES = (
    "UPDATE wa_sessions SET state = 'disconnected' WHERE id = %(sid)s",
    "INSERT INTO wa_messages (session_id, chat_id, direction, body, type, status)"
    " SELECT %(sid)s, id, 'in', 'stale', 'text', 'delivered' FROM wa_chats"
    " WHERE session_id = %(sid)s LIMIT 1",
    "UPDATE wa_chats SET unread_count = unread_count + 1 WHERE session_id = %(sid)s",
)
NAMES = RedisNames()


async def until(what: str, check: Callable[[], Awaitable[T | None]], timeout_s: float = 90) -> T:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = await check()
        if got:
            return got
        await asyncio.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


class Failover:
    """Two workers on two host labels; the session's holder is killed, again and again."""

    def __init__(self, stack: BenchStack, sim: SimClient, redis: aioredis.Redis) -> None:
        self.stack = stack
        self.sim = sim
        self.redis = redis
        self.workers: dict[str, tuple[str, Proc]] = {}  # host -> (worker id, process)
        self.generation = 0

    def start_worker(self, host: str) -> None:
        self.generation += 1
        worker_id = f"{host}-w{self.generation}"
        env = self.stack.env(
            APP_WORKER_ID=worker_id,
            APP_HOST_LABEL=host,
            APP_BRIDGE=self.stack.bridge,
            APP_LOG_LEVEL="INFO",  # its log says where the seconds went
        )
        proc = self.stack._start(f"worker-{worker_id}", ["-m", "worker"], env)
        self.workers[host] = (worker_id, proc)

    async def _row(self, sid: str) -> dict[str, Any]:
        async with await psycopg.AsyncConnection.connect(self.stack.database_url) as conn:
            cur = await conn.execute(
                "SELECT state, worker_id, state_reason, qr_payload FROM wa_sessions WHERE id = %s",
                (sid,),
            )
            row = await cur.fetchone()
        assert row is not None
        return dict(zip(("state", "worker_id", "reason", "qr"), row, strict=True))

    async def _count(self, query: str, *args: Any) -> int:
        async with await psycopg.AsyncConnection.connect(self.stack.database_url) as conn:
            row = await (await conn.execute(query, args)).fetchone()
        return int(row[0]) if row else 0

    async def _idle(self, worker_id: str) -> bool:
        state: Any = self.redis.hget(NAMES.worker_key(worker_id), "state")
        return bool(await state == b"idle")

    async def linked_session(self) -> str:
        async with await psycopg.AsyncConnection.connect(
            self.stack.database_url, autocommit=True
        ) as conn:
            cur = await conn.execute(
                "INSERT INTO wa_sessions (company_id, name) VALUES (%s, 'failover') RETURNING id",
                (self.stack.company_id,),
            )
            row = await cur.fetchone()
        assert row is not None
        sid = str(row[0])
        arq = await create_pool(RedisSettings.from_dsn(REDIS_URL))
        await enqueue_start(arq, NAMES, sid)
        await arq.aclose()

        async def qr() -> str | None:
            qr: str | None = (await self._row(sid))["qr"]
            return qr

        await self.sim.link(await until("a QR", qr), PHONE, "Failover Shop")

        async def ready() -> bool:
            return bool((await self._row(sid))["state"] == "ready")

        await until("ready", ready)
        # Chromium commits Local Storage to disk about 5 s after a change: a worker killed
        # sooner after the link leaves a profile without it (a clean stop writes it at once)
        await asyncio.sleep(8.0)
        return sid

    async def _fence(self, sid: str) -> int:
        return await self._count("SELECT fence FROM wa_sessions WHERE id = %s", sid)

    async def one(self, sid: str, run: int, http: aiohttp.ClientSession) -> dict[str, Any]:
        holder = (await self._row(sid))["worker_id"]
        fence = await self._fence(sid)
        host = next(h for h, (w, _) in self.workers.items() if w == holder)
        other_id, _ = self.workers[next(h for h in HOSTS if h != host)]
        await until(f"{other_id} idle", lambda: self._idle(other_id), 60)
        text_in, text_out = f"inbound during failover {run}", f"sent during failover {run}"
        mark = await self._count("SELECT coalesce(max(id), 0) FROM event_log")

        killed_at = time.monotonic()
        self.workers[host][1].kill()  # the worker and its Chromium, as a host that dies
        await self.sim.inbound(PHONE, CONTACT, text_in, name="Customer")
        async with http.post(
            f"{self.stack.gateway_url}/api/whatsapp/sessions/{sid}/messages",
            json={"to": CONTACT, "message": text_out},
            headers={"Authorization": f"Bearer {self.stack.token}"},
        ) as resp:
            assert resp.status == 202, await resp.text()

        async def granted() -> bool:  # the lease expired and the other worker took it
            return await self._fence(sid) > fence

        await until("the grant to the other host", granted)
        granted_after = time.monotonic() - killed_at

        async def back() -> int:  # the first "ready" since the kill (the log, not the row:
            # a grant names the new worker before its browser is up)
            return await self._count(
                "SELECT count(*) FROM event_log WHERE session_id = %s AND id > %s"
                " AND type = 'state' AND payload -> 'data' ->> 'state' = 'ready'",
                sid,
                mark,
            )

        await until("ready on the other host", back)
        took = time.monotonic() - killed_at
        row = await self._row(sid)

        async def sent() -> int:
            return sum(m.get("text") == text_out for m in await self.sim.sent(PHONE))

        async def stored() -> int:
            return await self._count(
                "SELECT count(*) FROM wa_messages WHERE session_id = %s AND body = %s", sid, text_in
            )

        await until("the send at the phone", sent, 60)
        await until("the inbound stored", stored, 60)
        await asyncio.sleep(1.0)  # a duplicate, if there were one, shows by now
        qr_shown = await self._count(
            "SELECT count(*) FROM event_log WHERE session_id = %s AND id > %s AND type = 'qr'",
            sid,
            mark,
        )
        self.start_worker(host)  # the dead host comes back for the next run
        accepted, refused = await self._stale_writes(sid, fence)
        return {
            "run": run,
            "seconds": round(took, 2),
            "granted_after_s": round(granted_after, 2),  # the lease's part, then the start's
            "from": holder,
            "to": row["worker_id"],
            "reason": row["reason"],
            "inbound_stored": await stored(),
            "sent_at_phone": await sent(),
            "qr_shown": qr_shown,
            "stale_writes_accepted": accepted,
            "stale_writes_refused": refused,
        }

    async def _stale_writes(self, sid: str, token: int) -> tuple[int, int]:
        """Writes the killed holder could still have made, with its token (a state change, a
        message, a chat change, each in its own transaction): (accepted, refused)."""
        fence = Fence(UUID(sid), token)
        accepted = refused = 0
        for statement in STALE_WRITES:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.stack.database_url, autocommit=True, options=fence.connect_options()
                ) as conn:
                    cur = await conn.execute(statement, {"sid": sid})
                    accepted += 1 if cur.rowcount else 0
            except psycopg.Error as exc:
                if not is_stale(exc):
                    raise
                refused += 1
        return accepted, refused


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in runs]
    p50 = round(statistics.median(seconds), 2)
    return {
        "runs": len(runs),
        "p50_s": p50,
        "max_s": max(seconds),
        "granted_p50_s": round(statistics.median(r["granted_after_s"] for r in runs), 2),
        "start_p50_s": round(
            statistics.median(r["seconds"] - r["granted_after_s"] for r in runs), 2
        ),
        "target_p50_s": TARGET_P50_S,
        "ok": p50 <= TARGET_P50_S,
        "inbound_lost": sum(r["inbound_stored"] == 0 for r in runs),
        "inbound_stored_twice": sum(r["inbound_stored"] > 1 for r in runs),
        "sent_twice": sum(r["sent_at_phone"] > 1 for r in runs),
        "sent_lost": sum(r["sent_at_phone"] == 0 for r in runs),
        "qr_shown": sum(r["qr_shown"] for r in runs),
        "stale_writes_tried": len(runs) * len(STALE_WRITES),
        "stale_writes_accepted": sum(r["stale_writes_accepted"] for r in runs),
        "stale_writes_refused": sum(r["stale_writes_refused"] for r in runs),
        "restored_without_qr": sum(r["reason"] == "restored" for r in runs),
    }


async def measure(stack: BenchStack, runs: int, emit: Callable[[dict[str, Any]], None]) -> Any:
    sim = SimClient(stack.sim_url)
    redis = aioredis.Redis.from_url(REDIS_URL)
    failover = Failover(stack, sim, redis)
    try:
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100)
        for host in HOSTS:
            failover.start_worker(host)
        async with aiohttp.ClientSession() as http:
            await stack.login(http)
            sid = await failover.linked_session()
            results = []
            for run in range(1, runs + 1):
                result = await failover.one(sid, run, http)
                emit({"bench": "failover_run", **result})
                results.append(result)
        return summary(results)
    finally:
        await sim.close()
        await redis.aclose()


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 10

    def emit(line: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    with tempfile.TemporaryDirectory(prefix="wagw-failover-") as tmp:
        stack = BenchStack(Path(tmp))
        try:
            stack.up(parts=("simulator", "gateway"))
            figures = asyncio.run(measure(stack, runs, emit))
        finally:
            stack.down()
    emit({"bench": "failover", **figures})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
