"""``python -m worker.health``: the Swarm health check of a worker is its heartbeat in Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from redis.asyncio import Redis

from shared.settings import Settings
from tests.support.databases import NAMES
from tests.support.procs import ROOT
from worker.heartbeat import WorkerStatus, beat


def _check(settings: Settings, worker_id: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "APP_MODE": "test",
        "APP_REDIS_URL": settings.redis_url,
        "APP_REDIS_PREFIX": settings.redis_prefix,
        "APP_WORKER_ID": worker_id,
    }
    return subprocess.run(
        [sys.executable, "-m", "worker.health"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


async def test_healthy_while_the_heartbeat_is_there(settings: Settings, redis: Redis) -> None:
    wid = f"node-1-w{uuid.uuid4().hex[:6]}"
    missing = _check(settings, wid)
    assert (missing.returncode, missing.stdout) == (1, f"worker={wid} heartbeat=missing\n")
    await beat(redis, NAMES, WorkerStatus(worker_id=wid))
    present = _check(settings, wid)
    assert (present.returncode, present.stdout) == (0, f"worker={wid} heartbeat=present\n")
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    assert _check(unreachable, wid).returncode == 1
