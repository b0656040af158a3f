"""``make bench``: brings up a private stack per bridge (``APP_BRIDGE=module``, then ``page``) and
prints every DESIGN §12 figure for each as JSON, with the targets and which ones hold."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench import density, history, scriptheap
from bench.events import TARGETS as EVENT_TARGETS
from bench.events import run_events
from bench.fanout import fanout
from bench.latency import Latency
from bench.lighthouse import TARGETS as LIGHTHOUSE_TARGETS
from bench.lighthouse import audit as lighthouse_audit
from bench.media import TARGETS as MEDIA_TARGETS
from bench.media import run_media
from bench.sessions import browser_root
from bench.stack import BENCH_EMAIL, BenchStack
from bench.throughput import chats_throughput, messages_throughput
from tests.support.nginx import make_prefix, nginx_binary, start_nginx
from tests.support.sim import SimClient
from worker.browser.memory import process_tree_pss_mb, process_tree_pss_split_mb

BRIDGES = ("module", "page")
_COMMON = {
    "create_to_first_qr_p50_ms": 1000,
    "create_to_first_qr_p90_ms": 1300,
    "chats_rps": 1300,
    "chats_vs_bare_ratio": 0.5,  # same run, alternating slices (bench/throughput.py)
    "messages_rps": 1300,
    "messages_vs_bare_ratio": 0.5,
    "fanout_1000_p99_ms": 250,
    "chromium_pss_mb": 300,
    "gateway_rss_idle_mb": 100,
    **EVENT_TARGETS,
    **MEDIA_TARGETS,
}
# the dashboard's audit (run once, with the module bridge's stack): bench/lighthouse.py checks it
LIGHTHOUSE = {**LIGHTHOUSE_TARGETS, "installable": True}
# inbound: the module bridge's targets hold while messages rotate over 20 chats (none is opened),
# the page bridge's (DESIGN §12) over 3 (each message opens its chat); both are measured for both
TARGETS = {
    "module": {
        **_COMMON,
        "inbound_rotating_20_chats_p50_ms": 60,
        "inbound_rotating_20_chats_p99_ms": 200,
        "send_to_phone_p50_ms": 150,
    },
    "page": {
        **_COMMON,
        "inbound_rotating_3_chats_p50_ms": 150,
        "inbound_rotating_3_chats_p99_ms": 400,
        "send_to_phone_p50_ms": 600,
    },
}
ROTATIONS = (3, 20)
_MEDIA = ("media_inbound_ready", "media_send_to_phone")
# 5 linked sessions at once, one worker each (bench/density.py): WAHA publishes 400 MB per
# browser session, 2.5 sessions per GB
DENSITY_TARGETS = {"pss_per_session_mean_mb": 300, "sessions_per_gb": 3.4}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _emit(bridge: str, name: str, value: dict[str, Any] | float) -> None:
    figures = value if isinstance(value, dict) else {"value": value}
    sys.stdout.write(json.dumps({"bench": name, "bridge": bridge, **figures}) + "\n")
    sys.stdout.flush()


def _figures(got: dict[str, Any]) -> dict[str, Any]:
    """The figures the targets are about, from one bridge's results."""
    inbound = got["inbound_to_socket"]
    rotating = {
        f"inbound_rotating_{n}_chats_{p}_ms": inbound[f"rotating_{n}_chats"].get(f"{p}_ms")
        for n in ROTATIONS
        for p in ("p50", "p99")
    }
    return {
        "create_to_first_qr_p50_ms": got["create_to_first_qr"].get("p50_ms"),
        "create_to_first_qr_p90_ms": got["create_to_first_qr"].get("p90_ms"),
        **rotating,
        "send_to_phone_p50_ms": got["send_to_phone"].get("p50_ms"),
        "chats_rps": got["chats_throughput"].get("gateway_rps"),
        "chats_vs_bare_ratio": got["chats_throughput"].get("ratio"),
        "messages_rps": got["messages_throughput"].get("gateway_rps"),
        "messages_vs_bare_ratio": got["messages_throughput"].get("ratio"),
        "fanout_1000_p99_ms": got["fanout"].get("p99_ms"),
        "chromium_pss_mb": got["chromium_pss_mb"],
        "gateway_rss_idle_mb": got["gateway_rss_idle_mb"],
        **{f"{name}_p50_ms": got[name].get("p50_ms") for name in _MEDIA},
        **_event_figures(got),
    }


def _event_figures(got: dict[str, Any]) -> dict[str, Any]:
    """bench/events.py's figures (measured with the module bridge's stack only)."""
    resume_ms = got.get("socket_resume", {}).get("p50_ms")
    return {
        "webhook_latency_p50_ms": got.get("webhook_latency", {}).get("p50_ms"),
        "webhook_events_per_s": got.get("webhook_throughput", {}).get("delivered_per_s"),
        "resume_1000_s": None if resume_ms is None else round(resume_ms / 1000, 3),
    }


def checks(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per bridge (and density) and figure: the value, the target, whether it holds (rates,
    ratios, sessions per GB: at least; the rest: at most)."""
    out: dict[str, dict[str, Any]] = {}
    groups = [(b, t, _figures(results[b])) for b, t in TARGETS.items() if b in results]
    if isinstance(results.get("density"), dict):
        groups.append(("density", DENSITY_TARGETS, results["density"]))
    for group, targets, figures in groups:
        out[group] = {
            name: {
                "value": figures.get(name),
                "target": target,
                "ok": _holds(name, figures.get(name), target),
            }
            for name, target in targets.items()
        }
    return out


def _holds(name: str, value: float | None, target: float) -> bool:
    if value is None:
        return False
    at_least = name.endswith(("rps", "ratio", "per_gb", "per_s"))
    return value >= target if at_least else value <= target


async def run(stack: BenchStack) -> dict[str, Any]:
    results: dict[str, Any] = {"bridge": stack.bridge}
    b = stack.bridge
    async with aiohttp.ClientSession() as http:
        sim = SimClient(stack.sim_url)
        await sim.config(
            qrFirstMs=20000, loadMs=100, syncMs=100, bridge="off" if b == "page" else "on"
        )
        await stack.login(http)
        results["gateway_rss_idle_mb"] = _rss_mb(stack.proc("gateway").pid)
        lat = Latency(stack, http, sim)
        await lat.open()

        qr, sid, ref = await lat.create_to_first_qr(rounds=5)
        _emit(b, "create_to_first_qr", qr)
        results["create_to_first_qr"] = qr

        phone = "15550101010"
        await sim.link(ref, phone, "Bench Shop")
        await lat._event("whatsapp:ready", lambda d: d["sessionId"] == sid)
        contacts = [f"1555020{i:04d}" for i in range(max(ROTATIONS))]
        inbound = {"open_chat": await lat.inbound_to_socket(phone, contacts[:1], rounds=40)}
        for n in ROTATIONS:
            got = await lat.inbound_to_socket(phone, contacts[:n], rounds=max(40, 3 * n))
            inbound[f"rotating_{n}_chats"] = got
        for name, figures in inbound.items():
            _emit(b, f"inbound_to_socket_{name}", figures)
        results["inbound_to_socket"] = inbound

        chat_id = lat.socket.of("whatsapp:message")[-1]["chatId"]
        send = await lat.send_to_phone(sid, chat_id, phone, rounds=20)
        _emit(b, "send_to_phone", send)
        results["send_to_phone"] = send

        for name, figures in (await run_media(stack, lat, sid, chat_id, phone)).items():
            _emit(b, name, figures)
            results[name] = figures

        pss = await _chromium_pss(stack)
        results["chromium_pss_mb"], results["chromium_pss_split_mb"] = (
            pss["pss_mb"],
            pss["split_mb"],
        )
        _emit(b, "chromium_pss", pss)

        await lat.socket.disconnect()
        await sim.close()

        results["chats_throughput"] = await asyncio.to_thread(chats_throughput, stack, sid)
        _emit(b, "chats_throughput", results["chats_throughput"])
        results["messages_throughput"] = await asyncio.to_thread(messages_throughput, stack, sid)
        _emit(b, "messages_throughput", results["messages_throughput"])

        with psycopg.connect(stack.database_url) as conn:
            row = conn.execute(
                "SELECT company_id FROM wa_sessions WHERE id = %s", (sid,)
            ).fetchone()
        assert row is not None
        fan = await fanout(stack, str(row[0]), sid, n=1000)
        _emit(b, "fanout", fan)
        results["fanout"] = fan

        if b == "module":  # the dashboard does not depend on the bridge: audited once
            report = await asyncio.to_thread(_lighthouse, stack, sid, chat_id)
            _emit(b, "lighthouse", report)
            results["lighthouse"] = report
        if b == "module":  # the event log and webhooks do not depend on the bridge either
            for name, value in (await run_events(stack)).items():
                _emit(b, name, value)
                results[name] = value
    return results


def _lighthouse(stack: BenchStack, sid: str, chat_id: str) -> Any:
    """The dashboard as people reach it: through the repo's nginx in front of the gateway."""
    binary = nginx_binary()
    if binary is None:
        return {"error": "nginx is not installed"}
    prefix = make_prefix()
    proxy = start_nginx(binary, prefix, [int(stack.gateway_url.rsplit(":", 1)[1])])
    try:
        return lighthouse_audit(proxy.url, BENCH_EMAIL, stack.admin_password, sid, chat_id)
    finally:
        proxy.stop()
        shutil.rmtree(prefix, ignore_errors=True)


async def _chromium_pss(stack: BenchStack) -> dict[str, Any]:
    """The session's Chromium PSS, and its split by backing (``anon``: the session's own;
    ``file``: the binary and data files any other Chromium on the host shares)."""
    root = browser_root(stack.proc("worker").pid)
    split = process_tree_pss_split_mb(root) if root is not None else {}
    return {"pss_mb": await _worker_pss(stack), "split_mb": split}


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


def main(argv: list[str]) -> int:
    """``python -m bench [module|page ...] [density]``: the bridges named (both by default), and
    the density figures (5 sessions at once) when no bridge or ``density`` is named."""
    named = [b for b in BRIDGES if b in argv]
    bridges = [] if argv == ["density"] else (named or list(BRIDGES))
    with_density = "density" in argv or not named
    started = time.time()
    results: dict[str, Any] = {}
    for bridge in bridges:
        with tempfile.TemporaryDirectory(prefix=f"wagw-bench-{bridge}-") as tmp:
            stack = BenchStack(Path(tmp), bridge=bridge)
            try:
                stack.up()
                results[bridge] = asyncio.run(run(stack))
            finally:
                stack.down()
    if with_density:
        results["density"] = density.measure()
        _emit("module", "density", results["density"])
        results["script_heap"] = scriptheap.measure()  # what the page keeps of our scripts
        _emit("module", "script_heap", results["script_heap"])
    results["targets"] = {**TARGETS, "density": DENSITY_TARGETS, "lighthouse": LIGHTHOUSE}
    results["checks"] = checks(results)
    results["took_s"] = round(time.time() - started, 1)
    path, comparison = history.record(results)
    sys.stdout.write(json.dumps({"bench": "summary", "file": str(path), **results}) + "\n")
    sys.stderr.write(comparison + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
