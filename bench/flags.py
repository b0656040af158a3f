"""``python -m bench.flags``: Chromium's memory with each candidate flag, one at a time.

For each variant (``APP_CHROMIUM_EXTRA_ARGS`` on top of the worker's own flags) a fresh stack
links one session on the simulator, lets it settle and reads the browser tree's PSS and its
process count (renderers apart). The baseline is the worker's flags as they are."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.latency import Latency
from bench.sessions import browser_root
from bench.stack import BenchStack
from tests.support.sim import SimClient
from worker.browser import procs
from worker.browser.memory import process_tree_pss_mb, process_tree_pss_split_mb

SETTLE_S = 8.0
VARIANTS: dict[str, list[str]] = {
    "baseline": [],
    "renderer_process_limit_1": ["--renderer-process-limit=1"],
    "v8_old_space_128mb": ["--js-flags=--max-old-space-size=128"],
    "v8_lite_mode": ["--js-flags=--lite-mode"],
    "no_site_isolation": ["--disable-site-isolation-trials"],
    "process_per_site": ["--process-per-site"],
    "no_extra_features": [
        "--disable-features=AudioServiceOutOfProcess,CalculateNativeWinOcclusion,"
        "HardwareMediaKeyHandling,MediaSessionService,SpareRendererForSitePerProcess"
    ],
    "in_process_gpu": ["--in-process-gpu"],
}


def _tree(root: int) -> tuple[int, int]:
    """(processes, renderers) of Chromium's tree under ``root``."""
    pids = [root, *procs.descendants(root)]
    renderers = 0
    for pid in pids:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        renderers += b"--type=renderer" in args
    return len(pids), renderers


async def _linked(stack: BenchStack) -> None:
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100, bridge="on")
        await stack.login(http)
        lat = Latency(stack, http, sim)
        await lat.open()
        try:
            _, sid, ref = await lat.create_to_first_qr(rounds=1)
            await sim.link(ref, "15550101010", "Bench Shop")
            await lat._event("whatsapp:ready", lambda d: d["sessionId"] == sid)
            for i in range(20):  # a little traffic, as a shop's page has
                await sim.inbound("15550101010", f"1555020{i:04d}", f"hello {i}", name=f"C{i}")
            await asyncio.sleep(SETTLE_S)
        finally:
            await lat.socket.disconnect()
            await sim.close()


def measure(name: str, extra: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wagw-bench-flags-") as tmp:
        stack = BenchStack(Path(tmp))
        stack.worker_env.update(APP_CHROMIUM_EXTRA_ARGS=shlex.join(extra), APP_WARM_BROWSER="false")
        try:
            stack.up(parts=("simulator", "gateway", "worker"))
            asyncio.run(_linked(stack))
            root = browser_root(stack.proc("worker").pid)
            if root is None:
                return {"variant": name, "error": "no browser"}
            count, renderers = _tree(root)
            return {
                "variant": name,
                "flags": extra,
                "pss_mb": round(process_tree_pss_mb(root), 1),
                "pss_split_mb": process_tree_pss_split_mb(root),
                "processes": count,
                "renderers": renderers,
            }
        finally:
            stack.down()


def main(argv: list[str]) -> int:
    names = [n for n in VARIANTS if n in argv] or list(VARIANTS)
    for name in names:
        sys.stdout.write(json.dumps({"bench": "flags", **measure(name, VARIANTS[name])}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
