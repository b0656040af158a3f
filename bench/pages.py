"""``python -m bench.pages [--profile DIR]``: the chats and messages pages' throughput alone.

Starts only a gateway (fresh database, Redis ``BENCH_REDIS_URL``), seeds one session with 50
chats and 100 messages, and runs wrk against each page and against the bare aiohttp handler with
the same JSON. With ``--profile DIR`` the gateway is sampled with py-spy while wrk runs on each
page: ``DIR/chats.txt`` and ``DIR/messages.txt`` (collapsed stacks) and the top entries in the
JSON printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

from bench.stack import BenchStack
from bench.throughput import chats_throughput, messages_throughput


def seed_session(stack: BenchStack) -> str:
    with psycopg.connect(stack.database_url, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO wa_sessions (company_id, name, desired_state, state)"
            " VALUES (%s, 'bench pages', 'stopped', 'stopped') RETURNING id",
            (stack.company_id,),
        ).fetchone()
    assert row is not None
    return str(row[0])


async def _login(stack: BenchStack) -> None:
    async with aiohttp.ClientSession() as http:
        await stack.login(http)


def measure(profile: Path | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wagw-bench-pages-") as tmp:
        stack = BenchStack(Path(tmp))
        try:
            stack.up(parts=("gateway",))
            asyncio.run(_login(stack))
            sid = seed_session(stack)
            return {
                "chats": chats_throughput(stack, sid, profile and profile / "chats.txt"),
                "messages": messages_throughput(stack, sid, profile and profile / "messages.txt"),
            }
        finally:
            stack.down()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages")
    parser.add_argument("--profile", type=Path, help="sample the gateway with py-spy into DIR")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps({"bench": "pages", **measure(args.profile)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
