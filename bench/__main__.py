"""``make bench``: brings up a private stack and prints the DESIGN §12 figures as JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench.events import TARGETS as EVENT_TARGETS
from bench.events import run_events
from bench.fanout import fanout
from bench.latency import Latency
from bench.stack import BenchStack
from bench.throughput import chats_throughput
from tests.support.sim import SimClient
from worker.browser.memory import process_tree_pss_mb

TARGETS = {
    "create_to_first_qr_p50_ms": 1500,
    "inbound_to_socket_p50_ms": 150,
    "inbound_to_socket_p99_ms": 400,
    "send_to_phone_p50_ms": 600,
    "chats_rps": 1500,
    "fanout_1000_p99_ms": 250,
    "chromium_pss_mb": 350,
    "gateway_rss_idle_mb": 120,
    **EVENT_TARGETS,
}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _emit(name: str, value: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps({"bench": name, **value}) + "\n")
    sys.stdout.flush()


async def run(stack: BenchStack) -> dict[str, Any]:
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100)
        await stack.login(http)
        results["gateway_rss_idle_mb"] = _rss_mb(stack.proc("gateway").pid)
        lat = Latency(stack, http, sim)
        await lat.open()

        qr, sid, ref = await lat.create_to_first_qr(rounds=5)
        _emit("create_to_first_qr", qr)
        results["create_to_first_qr"] = qr

        phone = "15550101010"
        await sim.link(ref, phone, "Bench Shop")
        await lat._event("whatsapp:ready", lambda d: d["sessionId"] == sid)
        contacts = ["15550202020", "15550303030", "15550404040"]
        same = await lat.inbound_to_socket(phone, contacts[:1], rounds=40)
        rotating = await lat.inbound_to_socket(phone, contacts, rounds=40)
        _emit("inbound_to_socket_open_chat", same)
        _emit("inbound_to_socket_rotating_chats", rotating)
        results["inbound_to_socket"] = {"open_chat": same, "rotating_chats": rotating}

        chat_id = lat.socket.of("whatsapp:message")[-1]["chatId"]
        send = await lat.send_to_phone(sid, chat_id, phone, rounds=20)
        _emit("send_to_phone", send)
        results["send_to_phone"] = send

        fields = await _worker_pss(stack)
        results["chromium_pss_mb"] = fields
        _emit("chromium_pss", {"pss_mb": fields})

        await lat.socket.disconnect()
        await sim.close()

        results["chats_throughput"] = await asyncio.to_thread(chats_throughput, stack, sid)
        _emit("chats_throughput", results["chats_throughput"])

        with psycopg.connect(stack.database_url) as conn:
            row = conn.execute(
                "SELECT company_id FROM wa_sessions WHERE id = %s", (sid,)
            ).fetchone()
        assert row is not None
        fan = await fanout(stack, str(row[0]), sid, n=1000)
        _emit("fanout", fan)
        results["fanout"] = fan

    for name, value in (await run_events(stack)).items():  # the event log and webhooks
        _emit(name, value)
        results[name] = value
    return results


async def _worker_pss(stack: BenchStack) -> float:
    import redis.asyncio as aioredis

    from bench.stack import REDIS_URL
    from shared.constants import RedisNames

    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        for _ in range(40):
            raw: Any = client.hget(RedisNames().worker_key("bench-w1"), "browser_pss_mb")
            value = await raw
            if value and float(value) > 0:
                return float(value)
            await asyncio.sleep(0.25)
    finally:
        await client.aclose()
    return round(process_tree_pss_mb(stack.proc("worker").pid), 1)


def main() -> int:
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="wagw-bench-") as tmp:
        stack = BenchStack(Path(tmp))
        try:
            stack.up()
            results = asyncio.run(run(stack))
        finally:
            stack.down()
    results["targets"] = TARGETS
    results["took_s"] = round(time.time() - started, 1)
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    sys.stdout.write(json.dumps({"bench": "summary", **results}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
