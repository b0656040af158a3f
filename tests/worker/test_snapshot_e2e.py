"""Portable profiles on real Chromium against the simulator: three workers with their own profile
directories stand for three hosts. Linked on A, A killed: B, with an empty profile, restores the
snapshot and reaches ready without a QR; B's newest snapshot damaged and B killed: C refuses it,
restores the previous one, and still reaches ready without a QR."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from psycopg.rows import tuple_row

from shared.constants import RedisNames
from tests.support.events import is_state
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e

SNAPSHOT_ENV = {"APP_SNAPSHOT_DEBOUNCE_S": "0.5"}


async def snapshot_rows(stack: Stack, sid: UUID) -> list[tuple[int, str, str]]:
    async with stack.pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT generation, status, worker_id FROM wa_profile_snapshots"
            " WHERE session_id = %s ORDER BY generation",
            (sid,),
        )
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def wait_snapshot_by(stack: Stack, sid: UUID, worker_id: str, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        mine = [g for g, status, w in await snapshot_rows(stack, sid) if w == worker_id]
        if mine:
            return mine[-1]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no snapshot by {worker_id}\n{stack.logs()}")


def host(stack: Stack, name: str) -> Path:
    path = stack.profile_dir / name
    path.mkdir()
    return path


async def ready_elsewhere_without_qr(stack: Stack, sid: UUID, worker_id: str, mark: int) -> float:
    started = time.monotonic()
    try:
        await stack.tap.wait_for(
            lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
            60,
            f"ready on {worker_id}",
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{stack.logs()}") from None
    assert (await stack.session_row(sid)).worker_id == worker_id
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
    return time.monotonic() - started


async def test_a_session_moves_hosts_by_snapshot_and_survives_a_corrupt_one(stack: Stack) -> None:
    a = stack.start_worker("hostA", APP_PROFILE_DIR=str(host(stack, "a")), **SNAPSHOT_ENV)
    phone = unique_phone()
    sid = await stack.new_linked_session(phone)
    first = await wait_snapshot_by(stack, sid, "hostA")

    # host A dies; host B has never seen this session (an empty profile directory)
    mark = len(stack.tap.seen)
    a.kill()
    profile_b = host(stack, "b")
    b = stack.start_worker("hostB", APP_PROFILE_DIR=str(profile_b), **SNAPSHOT_ENV)
    await ready_elsewhere_without_qr(stack, sid, "hostB", mark)
    assert (profile_b / str(sid) / ".snapshot.json").exists()
    second = await wait_snapshot_by(stack, sid, "hostB")
    assert second > first

    # B's newest snapshot is damaged at rest, then B dies: C refuses it and takes the previous
    async with stack.pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_profile_snapshots SET data = substring(data FROM 1 FOR length(data) - 9)"
            " WHERE session_id = %s AND generation = %s",
            (sid, second),
        )
    mark = len(stack.tap.seen)
    b.kill()
    stack.start_worker("hostC", APP_PROFILE_DIR=str(host(stack, "c")), **SNAPSHOT_ENV)
    await ready_elsewhere_without_qr(stack, sid, "hostC", mark)
    rows = await snapshot_rows(stack, sid)
    assert (second, "refused", "hostB") in rows
    assert (first, "good", "hostA") in rows
    failures: Any = stack.redis.hgetall(RedisNames.of(stack.settings).snapshot_failures)
    assert (await failures)[b"decrypt_failed"] == b"1"
    assert "snapshot failure reason=decrypt_failed" in stack.workers[-1].output()
