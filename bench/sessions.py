"""Helpers of the density and soak benches: linked sessions on a bench stack, and what their
browsers cost (PSS from the workers' heartbeats, CPU of the worker's process tree)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from bench.latency import Latency
from bench.stack import REDIS_URL, BenchStack
from shared.constants import RedisNames
from worker.browser import procs


async def link_session(lat: Latency, name: str, phone: str) -> str:
    """A new session, linked by the simulated phone ``phone``; its id once ready."""
    sid = str((await lat._post("/api/whatsapp/sessions", {"name": name}))["data"]["sessionId"])
    qr = await lat._event("whatsapp:qr", lambda d: d["sessionId"] == sid, timeout_s=120)
    await lat.sim.link(str(qr["qrRaw"]), phone, f"Shop {name}")
    await lat._event("whatsapp:ready", lambda d: d["sessionId"] == sid, timeout_s=120)
    return sid


async def browser_pss(stack: BenchStack) -> dict[str, float]:
    """Per worker: its browser's PSS (MB) from its last heartbeat (0 when it has none)."""
    client = aioredis.Redis.from_url(REDIS_URL)
    names = RedisNames()
    out: dict[str, float] = {}
    try:
        for n in range(1, stack.workers + 1):
            wid = f"bench-w{n}"
            raw: Any = client.hget(names.worker_key(wid), "browser_pss_mb")
            value = await raw
            out[wid] = float(value) if value else 0.0
    finally:
        await client.aclose()
    return out


async def settled_pss(stack: BenchStack, wanted: int, timeout_s: float = 60) -> dict[str, float]:
    """Heartbeat figures once ``wanted`` workers report a browser."""
    async with asyncio.timeout(timeout_s):
        while True:
            got = await browser_pss(stack)
            if sum(v > 0 for v in got.values()) >= wanted:
                return got
            await asyncio.sleep(0.5)


def tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and its live descendants, and of the children it
    already reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in (root, *procs.descendants(root)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
        total += (utime + stime + cutime + cstime) / tick
    return total


def browser_root(worker_pid: int) -> int | None:
    """The worker's Chromium main process (a descendant without ``--type=``)."""
    for pid in procs.descendants(worker_pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--user-data-dir=" in args and b"--type=" not in args:
            return pid
    return None
