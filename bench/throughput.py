"""GET .../chats (50 rows) and GET .../messages (50 rows) through one gateway with wrk, each
against a bare aiohttp JSON handler serving the same JSON in the same run; optionally sampled
with py-spy while wrk runs (``profile=``: the flame graph and its top entries)."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from bench.cpusplit import cpu_split
from bench.profile import Profile
from bench.stack import BenchStack
from tests.support.procs import free_port, wait_http

SLICE_S = 2
ROUNDS = 4
CONNECTIONS = 32
ROWS = 50
MESSAGES_CHAT = "19990000000@c.us"  # the seeded chat whose messages page is measured


def seed_chats(stack: BenchStack, session_id: str, n: int = ROWS) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        for i in range(n):
            conn.execute(
                "INSERT INTO wa_chats (session_id, wa_chat_id, name, is_group, unread_count,"
                " last_message_at, last_message_preview) VALUES (%s, %s, %s, false, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (
                    session_id,
                    f"1999{i:07d}@c.us",
                    f"Customer {i}",
                    i % 3,
                    now - timedelta(minutes=i),
                    f"last message {i} " + "x" * 40,
                ),
            )


def seed_messages(stack: BenchStack, session_id: str, n: int = 2 * ROWS) -> None:
    """``n`` messages in the first seeded chat, both directions (the page shows the newest 50)."""
    now = datetime.now(UTC)
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT id FROM wa_chats WHERE session_id = %s AND wa_chat_id = %s",
            (session_id, MESSAGES_CHAT),
        ).fetchone()
        assert row is not None, "seed_chats first"
        for i in range(n):
            out = i % 2 == 1
            conn.execute(
                "INSERT INTO wa_messages (session_id, chat_id, wa_msg_id, direction, sender, body,"
                " status, wa_timestamp, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (
                    session_id,
                    row[0],
                    f"{'true' if out else 'false'}_{MESSAGES_CHAT}_BENCH{i:06d}",
                    "out" if out else "in",
                    None if out else MESSAGES_CHAT,
                    f"message {i} " + "y" * 60,
                    "read" if out else "delivered",
                    now - timedelta(seconds=n - i),
                    now - timedelta(seconds=n - i),
                ),
            )


def wrk(url: str, headers: dict[str, str], duration_s: int = SLICE_S) -> float:
    """Requests per second; any error or non-2xx answer fails the run."""
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration_s}s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    return float(m.group(1))


def _get(url: str, token: str) -> str:
    return subprocess.run(
        ["curl", "-sf", url, "-H", f"Authorization: Bearer {token}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


class _Aside:
    """A process started for one page's measurement beside the stack's own, stopped after it."""

    def __init__(self, stack: BenchStack, name: str, args: list[str], env: dict[str, str]) -> None:
        self.stack = stack
        self.proc = stack._start(name, args, env)

    def close(self) -> None:
        self.proc.close()
        self.stack.procs.remove(self.proc)


class _Bare(_Aside):
    """The bare aiohttp handler (a process) serving ``body``."""

    def __init__(self, stack: BenchStack, body: str) -> None:
        payload_file = stack.workdir / f"payload-{uuid.uuid4().hex}.json"
        payload_file.write_text(body)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/bare"
        super().__init__(stack, "bare", ["-m", "bench.bare", str(port), str(payload_file)], {})
        wait_http(self.url)


class _Uncached(_Aside):
    """A second gateway on the same database and Redis with the page cache off: what every
    page costs when it is read from Postgres (a first read, or one after a change)."""

    def __init__(self, stack: BenchStack) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = stack.env(APP_GATEWAY_PORT=str(port), APP_PAGE_CACHE_ENTRIES="0")
        super().__init__(stack, "gateway-uncached", ["-m", "gateway"], env)
        wait_http(f"{self.base}/health")


def page_throughput(
    stack: BenchStack, url: str, rows_key: str, profile: Path | None = None
) -> dict[str, Any]:
    """One page: the gateway's requests/s (its page cache on, as shipped: the page is served
    from the cache after the first read), the same page read from Postgres every time (a second
    gateway with the cache off), the bare handler's with the same body, and the ratios.

    The three are measured in alternating slices (``ROUNDS`` each) so that a machine whose load
    changes during the run weighs on all alike; the figures are the slices' medians."""
    headers = {"Authorization": f"Bearer {stack.token}"}
    body = _get(url, stack.token)
    assert len(json.loads(body)["data"][rows_key]) == ROWS, body[:300]
    bare = _Bare(stack, body)
    uncached = _Uncached(stack)
    uncached_url = uncached.base + url.removeprefix(stack.gateway_url)
    try:
        assert _get(uncached_url, stack.token) == body  # the same answer, read from Postgres
        for u, h in ((url, headers), (uncached_url, headers), (bare.url, {})):
            wrk(u, h, duration_s=1)  # warm-up: connections, caches, prepared statements
        gateway: list[float] = []
        reading: list[float] = []
        plain: list[float] = []
        for _ in range(ROUNDS):
            gateway.append(wrk(url, headers, duration_s=SLICE_S))
            reading.append(wrk(uncached_url, headers, duration_s=SLICE_S))
            plain.append(wrk(bare.url, {}, duration_s=SLICE_S))
        split = cpu_split(
            stack.proc("gateway").pid,
            lambda: wrk(url, headers, duration_s=SLICE_S * 2),
            SLICE_S * 2,
        )
        uncached_split = cpu_split(
            uncached.proc.pid,
            lambda: wrk(uncached_url, headers, duration_s=SLICE_S * 2),
            SLICE_S * 2,
        )
        sampled: dict[str, Any] = {}
        if profile is not None:  # apart from the figures: the profiler slows the gateway
            with Profile(stack.proc("gateway").pid, profile) as prof:
                wrk(url, headers, duration_s=SLICE_S * 2)
            sampled = prof.summary()
    finally:
        bare.close()
        uncached.close()
    gateway_rps, bare_rps = statistics.median(gateway), statistics.median(plain)
    uncached_rps = statistics.median(reading)
    return {
        "gateway_rps": round(gateway_rps),
        "bare_aiohttp_rps": round(bare_rps),
        "ratio": round(gateway_rps / bare_rps, 3),
        "uncached_rps": round(uncached_rps),
        "uncached_ratio": round(uncached_rps / bare_rps, 3),
        "slices": {
            "gateway": [round(x) for x in gateway],
            "uncached": [round(x) for x in reading],
            "bare": [round(x) for x in plain],
        },
        "cpu_split": {"cached": split, "uncached": uncached_split},
        "response_bytes": len(body),
        "wrk": f"-t2 -c{CONNECTIONS}, {ROUNDS} x {SLICE_S}s each, alternating",
        **({"profile": sampled} if sampled else {}),
    }


def _skip() -> dict[str, Any] | None:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    return None


def chats_throughput(
    stack: BenchStack, session_id: str, profile: Path | None = None
) -> dict[str, Any]:
    if skipped := _skip():
        return skipped
    seed_chats(stack, session_id)
    url = f"{stack.gateway_url}/api/whatsapp/sessions/{session_id}/chats?limit={ROWS}"
    return page_throughput(stack, url, "chats", profile)


def messages_throughput(
    stack: BenchStack, session_id: str, profile: Path | None = None
) -> dict[str, Any]:
    if skipped := _skip():
        return skipped
    seed_chats(stack, session_id)
    seed_messages(stack, session_id)
    url = (
        f"{stack.gateway_url}/api/whatsapp/sessions/{session_id}/chats/{MESSAGES_CHAT}"
        f"/messages?limit={ROWS}"
    )
    return page_throughput(stack, url, "messages", profile)
