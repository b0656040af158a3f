"""Chaos tests: a private Redis and Postgres per test (restarted at will), the simulator, and
workers on "hosts" with their own profile directories and network proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.chaos import Cluster
from tests.support.stack import FAST_SIM


@pytest.fixture
async def cluster(sim_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    # a short root: Chromium's singleton socket path must stay under 107 bytes
    root = Path(tmp_path_factory.mktemp("chaos", numbered=True))
    c = await Cluster.up(sim_url, root)
    await c.sim.reset()
    await c.sim.config(**FAST_SIM)
    try:
        yield c
    finally:
        await c.down()
