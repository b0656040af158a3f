"""GET .../chats (50 rows) through one gateway with wrk, against a bare aiohttp JSON handler."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.stack import BenchStack
from tests.support.procs import free_port, wait_http

DURATION_S = 8
CONNECTIONS = 32


def seed_chats(stack: BenchStack, session_id: str, n: int = 50) -> None:
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


def _wrk(url: str, headers: dict[str, str]) -> float:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m or "Non-2xx" in out:
        raise RuntimeError(f"wrk failed or saw errors:\n{out}")
    return float(m.group(1))


def chats_throughput(stack: BenchStack, session_id: str) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    seed_chats(stack, session_id)
    url = f"{stack.gateway_url}/api/whatsapp/sessions/{session_id}/chats?limit=50"
    headers = {"Authorization": f"Bearer {stack.token}"}
    body = subprocess.run(
        ["curl", "-s", url, "-H", f"Authorization: Bearer {stack.token}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    payload = json.loads(body)
    assert len(payload["data"]["chats"]) == 50, body[:300]
    gateway_rps = _wrk(url, headers)

    payload_file = stack.workdir / f"payload-{uuid.uuid4().hex}.json"
    payload_file.write_text(body)
    port = free_port()
    bare = stack._start("bare", ["-m", "bench.bare", str(port), str(payload_file)], {})
    try:
        wait_http(f"http://127.0.0.1:{port}/bare")
        bare_rps = _wrk(f"http://127.0.0.1:{port}/bare", {})
    finally:
        bare.close()
    return {
        "gateway_rps": round(gateway_rps),
        "bare_aiohttp_rps": round(bare_rps),
        "ratio": round(gateway_rps / bare_rps, 3),
        "response_bytes": len(body),
        "wrk": f"-t2 -c{CONNECTIONS} -d{DURATION_S}s",
    }
