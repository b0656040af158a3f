"""``python -m bench.density [--sessions N]``: N linked sessions at once (one worker each), the
PSS of each session's browser and how many sessions fit in a GB.

Each session is linked on the simulator and gets a little traffic; once the pages settle, the
workers' heartbeats give each browser's PSS (the whole Chromium tree: PSS shares what the
browsers share). ``sessions_per_gb`` counts the browsers only; ``with_worker`` adds each
worker process's own PSS."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.latency import Latency
from bench.sessions import link_session, settled_pss
from bench.stack import BenchStack
from tests.support.sim import SimClient
from worker.browser.memory import pss_kib

SESSIONS = 5
SETTLE_S = 10.0


async def run(stack: BenchStack, n: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100, bridge="on")
        await stack.login(http)
        lat = Latency(stack, http, sim)
        await lat.open()
        try:
            phones = [f"1555030{i:04d}" for i in range(n)]
            for i, phone in enumerate(phones):  # one at a time: each QR goes to an idle worker
                await link_session(lat, f"density-{i}", phone)
            for phone in phones:
                for c in range(10):
                    await sim.inbound(phone, f"1555040{c:04d}", f"hello {c}", name=f"C{c}")
            await asyncio.sleep(SETTLE_S)
            per_worker = await settled_pss(stack, n)
        finally:
            await lat.socket.disconnect()
            await sim.close()
    browsers = sorted(v for v in per_worker.values() if v > 0)
    workers_mb = [pss_kib(p.pid) / 1024 for p in stack.procs if p.name.startswith("worker")]
    mean = statistics.fmean(browsers)
    with_worker = mean + statistics.fmean(workers_mb)
    return {
        "sessions": n,
        "pss_per_session_mb": [round(v, 1) for v in browsers],
        "pss_per_session_mean_mb": round(mean, 1),
        "pss_per_session_max_mb": round(max(browsers), 1),
        "sessions_per_gb": round(1024 / mean, 2),
        "worker_process_pss_mean_mb": round(statistics.fmean(workers_mb), 1),
        "sessions_per_gb_with_worker": round(1024 / with_worker, 2),
    }


def measure(n: int = SESSIONS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wagw-bench-density-") as tmp:
        # no warm browsers: every worker owns a session, an idle one would only add memory
        stack = BenchStack(Path(tmp), workers=n, worker_env={"APP_WARM_BROWSER": "false"})
        try:
            stack.up(parts=("simulator", "gateway", "worker"))
            return asyncio.run(run(stack, n))
        finally:
            stack.down()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.density")
    parser.add_argument("--sessions", type=int, default=SESSIONS)
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps({"bench": "density", **measure(args.sessions)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
