"""``python -m bench.startup [module|page] [--rounds N] [--cold]``: create session -> first QR
on a socket, and the Chromium PSS of the session, alone (a stack with one worker).

``--cold`` turns the warm browser off (``APP_WARM_BROWSER=false``) to compare."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

from bench.latency import Latency
from bench.stack import BenchStack
from tests.support.sim import SimClient


async def measure(stack: BenchStack, rounds: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        bridge = "off" if stack.bridge == "page" else "on"
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100, bridge=bridge)
        await stack.login(http)
        lat = Latency(stack, http, sim)
        await lat.open()
        try:
            qr, _, _ = await lat.create_to_first_qr(rounds=rounds)
        finally:
            await lat.socket.disconnect()
            await sim.close()
    from bench.__main__ import _worker_pss

    return {"create_to_first_qr": qr, "chromium_pss_mb": await _worker_pss(stack)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup")
    parser.add_argument("bridge", nargs="?", default="module", choices=("module", "page"))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--cold", action="store_true", help="APP_WARM_BROWSER=false")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wagw-bench-startup-") as tmp:
        stack = BenchStack(Path(tmp), bridge=args.bridge)
        if args.cold:
            stack.worker_env["APP_WARM_BROWSER"] = "false"
        try:
            stack.up(parts=("simulator", "gateway", "worker"))
            got = asyncio.run(measure(stack, args.rounds))
        finally:
            stack.down()
    out = {"bench": "startup", "bridge": args.bridge, "warm": not args.cold, **got}
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
