"""What workers could not read on WhatsApp Web's page, surfaced: ``pageDrift`` on sessions (kinds,
counts, last time), kinds and counts on ``/api/ops/sessions``, and
``wa_page_unparsed_total{kind}`` on ``/metrics`` from the ``wa:drift`` hash."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from tests.conftest import MakeUser
from tests.gateway.as_worker import count_drift, set_page_drift
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.wa import grant, seed_session

Client = TestClient[Any, Any]

DRIFT = {
    "row_unparsed": {"count": 3, "lastAt": "2026-06-13T20:19:00Z"},
    "chat_id_unresolved": {"count": 1, "lastAt": "2026-06-13T20:21:30Z"},
}
DRIFT_OUT = {
    "row_unparsed": {"count": 3, "lastAt": "2026-06-13T20:19:00Z"},
    "chat_id_unresolved": {"count": 1, "lastAt": "2026-06-13T20:21:30Z"},
}


async def test_sessions_carry_page_drift_for_everyone_who_sees_them(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    drifting = await seed_session(pg, t.company.id, name="drifting", state="ready")
    clean = await seed_session(pg, t.company.id, name="clean", state="ready")
    await set_page_drift(pg, drifting.id, DRIFT)
    await grant(pg, t.company.id, drifting.id, t.manager.id)
    base = "/api/whatsapp/sessions"

    one = await client.get(f"{base}/{drifting.id}", headers=t.admin.headers)
    assert (await one.json())["data"]["session"]["pageDrift"] == DRIFT_OUT
    listed = await client.get(base, headers=t.admin.headers)
    by_id = {s["id"]: s for s in (await listed.json())["data"]["sessions"]}
    assert by_id[str(drifting.id)]["pageDrift"] == DRIFT_OUT
    assert by_id[str(clean.id)]["pageDrift"] == {}
    managed = await client.get(f"{base}/{drifting.id}", headers=t.manager.headers)
    assert (await managed.json())["data"]["session"]["pageDrift"] == DRIFT_OUT


async def test_an_entry_of_another_shape_is_still_shown(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    await set_page_drift(
        pg, session.id, {"screen_unknown": 4, "dialog_unknown": "odd", "row_unparsed": {}}
    )
    resp = await client.get(f"/api/whatsapp/sessions/{session.id}", headers=t.admin.headers)
    assert resp.status == 200
    assert (await resp.json())["data"]["session"]["pageDrift"] == {
        "screen_unknown": {"count": 4, "lastAt": None},
        "dialog_unknown": {"count": 1, "lastAt": None},
        "row_unparsed": {"count": 1, "lastAt": None},
    }


async def test_operators_see_kinds_and_counts_only(
    client: Client, make_user: MakeUser, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    operator = await make_user("operator")
    a, b = await make_tenant(), await make_tenant()
    drifting = await seed_session(pg, a.company.id, state="ready")
    clean = await seed_session(pg, b.company.id, state="qr")
    await set_page_drift(pg, drifting.id, DRIFT)
    resp = await client.get("/api/ops/sessions", headers=operator.headers)
    assert resp.status == 200
    got = {s["id"]: s for s in (await resp.json())["data"]["sessions"]}
    assert got[str(drifting.id)]["pageDrift"] == {"row_unparsed": 3, "chat_id_unresolved": 1}
    assert got[str(clean.id)]["pageDrift"] == {}
    assert "lastAt" not in await resp.text()


async def _drift_samples(client: Client) -> dict[str, float]:
    resp = await client.get("/metrics")
    assert resp.status == 200
    samples = {}
    for line in (await resp.text()).splitlines():
        if line.startswith("wa_page_unparsed_total{"):
            labels, value = line.rsplit(" ", 1)
            samples[labels.removeprefix('wa_page_unparsed_total{kind="').removesuffix('"}')] = (
                float(value)
            )
    return samples


async def test_metrics_count_every_kind_from_redis_at_each_scrape(
    client: Client, redis: Redis
) -> None:
    assert await _drift_samples(client) == {}
    text = await (await client.get("/metrics")).text()
    assert "# TYPE wa_page_unparsed_total counter" in text
    await count_drift(redis, "row_unparsed", 3)
    await count_drift(redis, "dialog_unknown")
    assert await _drift_samples(client) == {"row_unparsed": 3.0, "dialog_unknown": 1.0}
    await count_drift(redis, "row_unparsed", 2)
    # a value HINCRBY could never have written is left out
    await redis.hset(NAMES.drift_counts, "not_a_counter", "x")  # type: ignore[misc]
    assert await _drift_samples(client) == {"row_unparsed": 5.0, "dialog_unknown": 1.0}
