"""``wa_media_downloads_total{outcome}`` on ``/metrics``: the ``wa:media`` hash workers count
their media downloads in (stored, failed, gave_up, too_large)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from tests.support.databases import NAMES

Client = TestClient[Any, Any]


async def test_media_download_outcomes_are_metrics(client: Client, redis: Redis) -> None:
    before = await (await client.get("/metrics")).text()
    assert "wa_media_downloads_total{" not in before  # nothing counted yet: no samples
    for outcome, n in (("stored", 3), ("failed", 2), ("gave_up", 1)):
        await redis.hincrby(NAMES.media_counts, outcome, n)  # type: ignore[misc]
    await redis.hset(NAMES.media_counts, "junk", "not a number")  # type: ignore[misc]
    text = await (await client.get("/metrics")).text()
    assert 'wa_media_downloads_total{outcome="stored"} 3.0' in text
    assert 'wa_media_downloads_total{outcome="failed"} 2.0' in text
    assert 'wa_media_downloads_total{outcome="gave_up"} 1.0' in text
    assert "junk" not in text
