"""``python -m bench.soak [--minutes 30] [--inbound 2000] [--outbound 500]`` (``make soak``):
one linked session under steady traffic for a while: its browser's PSS growth per hour and
the worker's CPU per message, and that every message was stored.

Inbound messages (from 20 contacts, through the simulated phone) and outbound ones (REST sends
to a number) are spread evenly over the run; the browser's PSS is sampled every ``--sample-s``
from the worker's heartbeat. Growth per hour is the least-squares slope of the samples after
the first fifth of the run (the page settling), as a share of the PSS where that part starts.
CPU per message: the worker's process tree (Python and Chromium) over the run, divided by the
messages."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench.latency import Latency
from bench.sessions import browser_pss, link_session, settled_pss, tree_cpu_s
from bench.stack import BenchStack
from tests.support.sim import SimClient
from worker.browser import procs
from worker.browser.devtools import DevToolsError, DevToolsTarget, is_page
from worker.browser.memory import process_tree_pss_by_kind_mb

log = logging.getLogger(__name__)

PHONE = "15550505050"
CONTACTS = [f"1555060{i:04d}" for i in range(20)]


def growth_pct_per_hour(samples: list[tuple[float, float]]) -> float | None:
    """Slope of PSS over time after the first fifth, in % of its PSS there, per hour."""
    tail = samples[len(samples) // 5 :]
    if len(tail) < 3:
        return None
    xs, ys = [t for t, _ in tail], [v for _, v in tail]
    slope = statistics.linear_regression(xs, ys).slope  # MB per second
    return round(slope * 3600 / ys[0] * 100, 2)


async def _traffic(lat: Latency, sid: str, inbound: int, outbound: int, seconds: float) -> int:
    """Send the messages evenly over ``seconds``; returns how many sends the API accepted."""
    total = inbound + outbound
    every = max(1, total // max(1, outbound)) if outbound else total + 1
    started = time.monotonic()
    accepted = 0
    sent_in = sent_out = 0
    for i in range(total):
        due = started + seconds * i / total
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if sent_out < outbound and (i % every == every - 1 or sent_in >= inbound):
            to = CONTACTS[sent_out % len(CONTACTS)]
            body = {"to": to, "message": f"soak out {sent_out}", "clientMessageId": f"o{i}"}
            await lat._post(f"/api/whatsapp/sessions/{sid}/messages", body)
            sent_out += 1
            accepted += 1
        else:
            contact = CONTACTS[sent_in % len(CONTACTS)]
            await lat.sim.inbound(PHONE, contact, f"soak in {sent_in}", name=f"C{contact[-2:]}")
            sent_in += 1
    return accepted


def _devtools_address(worker_pid: int) -> str | None:
    """Chromium's DevTools ``host:port`` from its command line (the worker's tree)."""
    for pid in procs.descendants(worker_pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith(b"--remote-debugging-port="):
                return "127.0.0.1:" + arg.split(b"=", 1)[1].decode()
    return None


PAGE_METRICS = ("JSHeapUsedSize", "JSHeapTotalSize", "Nodes", "JSEventListeners", "Documents")


class PageMetrics:
    """The WhatsApp page's own figures (a second DevTools client beside chromedriver): its
    JavaScript heap, DOM nodes and listeners: which of them grows with the messages."""

    def __init__(self, worker_pid: int) -> None:
        self._target = DevToolsTarget(_devtools_address(worker_pid), is_page, timeout_s=10.0)

    async def sample(self, *, collect_garbage: bool = False) -> dict[str, float]:
        try:
            if collect_garbage:
                await self._target.call("HeapProfiler.collectGarbage")
            await self._target.call("Performance.enable")
            got = await self._target.call("Performance.getMetrics")
        except DevToolsError as exc:
            log.warning("page metrics not read: %s", exc)
            return {}
        values = {m["name"]: m["value"] for m in got.get("metrics", [])}
        out = {name: values.get(name, 0.0) for name in PAGE_METRICS}
        for name in ("JSHeapUsedSize", "JSHeapTotalSize"):
            out[name] = round(out[name] / 2**20, 1)  # MiB
        return out

    async def close(self) -> None:
        await self._target.close()


@dataclass
class Samples:
    page: PageMetrics
    pss: list[tuple[float, float]] = field(default_factory=list)  # (seconds, browser PSS MB)
    # the worker's whole tree (its Python, chromedriver, Chromium) by process kind
    kinds: list[dict[str, float]] = field(default_factory=list)
    pages: list[dict[str, float]] = field(default_factory=list)  # PageMetrics.sample()


async def _sampler(stack: BenchStack, every_s: float, got: Samples, stop: asyncio.Event) -> None:
    started = time.monotonic()
    worker = stack.proc("worker").pid
    while not stop.is_set():
        pss = (await browser_pss(stack)).get("bench-w1", 0.0)
        if pss > 0:
            got.pss.append((time.monotonic() - started, pss))
            got.kinds.append(await asyncio.to_thread(process_tree_pss_by_kind_mb, worker))
            got.pages.append(await got.page.sample())
        try:
            async with asyncio.timeout(every_s):
                await stop.wait()
        except TimeoutError:
            pass


def _first_fifth_last(samples: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each figure at the first sample, the fifth of the run and the last."""
    if not samples:
        return {}
    at = {"first": samples[0], "fifth": samples[len(samples) // 5], "last": samples[-1]}
    names = sorted({k for sample in at.values() for k in sample})
    return {name: {when: sample.get(name, 0.0) for when, sample in at.items()} for name in names}


def _stored(stack: BenchStack, sid: str) -> dict[str, int]:
    with psycopg.connect(stack.database_url) as conn:
        rows = conn.execute(
            "SELECT direction, count(*) FROM wa_messages WHERE session_id = %s"
            " AND body LIKE 'soak %%' GROUP BY direction",
            (sid,),
        ).fetchall()
    return {str(d): int(n) for d, n in rows}


async def run(
    stack: BenchStack, minutes: float, inbound: int, outbound: int, sample_s: float
) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(qrFirstMs=20000, loadMs=100, syncMs=100, bridge="on")
        await stack.login(http)
        lat = Latency(stack, http, sim)
        await lat.open()
        try:
            sid = await link_session(lat, "soak", PHONE)
            await settled_pss(stack, 1)
            worker = stack.proc("worker").pid
            cpu0 = tree_cpu_s(worker)
            got = Samples(PageMetrics(worker))
            stop = asyncio.Event()
            sampler = asyncio.create_task(_sampler(stack, sample_s, got, stop))
            started = time.monotonic()
            await _traffic(lat, sid, inbound, outbound, minutes * 60)
            await asyncio.sleep(min(10.0, sample_s))  # the last ones are stored and sent
            elapsed = time.monotonic() - started
            cpu = tree_cpu_s(worker) - cpu0
            stop.set()
            await sampler
            # what the page holds once V8 collected what it could (live data, not lazy GC)
            after_gc = await got.page.sample(collect_garbage=True)
            await asyncio.sleep(2)
            pss_after_gc = (await browser_pss(stack)).get("bench-w1", 0.0)
            await got.page.close()
        finally:
            await lat.socket.disconnect()
            await sim.close()
    stored = _stored(stack, sid)
    messages = inbound + outbound
    return {
        "minutes": round(elapsed / 60, 2),
        "inbound": inbound,
        "outbound": outbound,
        "stored": stored,
        "lost": messages - stored.get("in", 0) - stored.get("out", 0),
        "pss_first_mb": got.pss[0][1] if got.pss else None,
        "pss_last_mb": got.pss[-1][1] if got.pss else None,
        "pss_samples": len(got.pss),
        "pss_growth_pct_per_hour": growth_pct_per_hour(got.pss),
        # where it grows: each process kind's PSS at the first, the fifth and the last sample
        "pss_by_kind_mb": _first_fifth_last(got.kinds),
        "pss_samples_mb": [[round(t), round(v, 1)] for t, v in got.pss],
        "page_metrics": _first_fifth_last(got.pages),
        "page_after_gc": after_gc,
        "pss_after_gc_mb": pss_after_gc,
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_message": round(cpu / messages * 1000, 1),
        "cpu_cores_mean": round(cpu / elapsed, 3),
    }


def measure(minutes: float, inbound: int, outbound: int, sample_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wagw-bench-soak-") as tmp:
        stack = BenchStack(Path(tmp), worker_env={"APP_WARM_BROWSER": "false"})
        try:
            stack.up(parts=("simulator", "gateway", "worker"))
            return asyncio.run(run(stack, minutes, inbound, outbound, sample_s))
        finally:
            stack.down()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--inbound", type=int, default=2000)
    parser.add_argument("--outbound", type=int, default=500)
    parser.add_argument("--sample-s", type=float, default=30)
    args = parser.parse_args(argv)
    got = measure(args.minutes, args.inbound, args.outbound, args.sample_s)
    sys.stdout.write(json.dumps({"bench": "soak", **got}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
