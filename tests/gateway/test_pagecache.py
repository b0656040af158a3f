"""The page cache: a kept page is served only while nothing of its company changed, only while the
relay listens, never across companies, never longer than its TTL, and never a page read across a
change that was heard of meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.keys import METRICS_REGISTRY
from gateway.pagecache import PageCache
from shared.db.repos import chats
from shared.payloads import chat_event
from shared.settings import Settings
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.eventlog import log_and_publish
from tests.support.gateways import GatewayTestServer, wait_until_listening
from tests.support.wa import grant, seed_chat, seed_messages, seed_session

A, B = uuid4(), uuid4()


def _cache(entries: int = 8, ttl_s: float = 60.0) -> tuple[PageCache, CollectorRegistry]:
    registry = CollectorRegistry()
    cache = PageCache(entries, ttl_s, registry)
    cache.trust(listening=True)
    return cache, registry


def _count(registry: CollectorRegistry, result: str) -> float:
    value = registry.get_sample_value("gateway_page_cache_total", {"result": result})
    return value or 0.0


def test_a_page_is_served_until_its_company_changes() -> None:
    cache, registry = _cache()
    cache.put(A, "a-page", cache.generation(A), b"A1")
    cache.put(B, "b-page", cache.generation(B), b"B1")
    assert cache.get(A, "a-page") == b"A1"
    cache.forget(A)
    assert cache.get(A, "a-page") is None  # A changed
    assert cache.get(B, "b-page") == b"B1"  # B did not
    assert (_count(registry, "hit"), _count(registry, "miss")) == (2, 1)


def test_a_page_read_across_a_change_is_not_kept() -> None:
    cache, _ = _cache()
    before = cache.generation(A)  # the read starts
    cache.forget(A)  # a change of A is heard of while it runs
    cache.put(A, "page", before, b"old")
    assert cache.get(A, "page") is None
    cache.put(A, "page", cache.generation(A), b"new")
    assert cache.get(A, "page") == b"new"


def test_another_company_never_gets_a_page() -> None:
    cache, _ = _cache()
    cache.put(A, "page", cache.generation(A), b"A")
    assert cache.get(B, "page") is None  # the same key asked for by B: dropped, not served
    assert cache.get(A, "page") is None


def test_not_listening_means_not_used_and_nothing_kept() -> None:
    cache, registry = _cache()
    cache.put(A, "page", cache.generation(A), b"A")
    cache.trust(listening=False)  # the relay lost Redis: wake-ups may be missed
    assert cache.get(A, "page") is None
    generation = cache.generation(A)
    cache.put(A, "page", generation, b"A")
    cache.trust(listening=True)  # back: what was kept before the gap is gone
    assert cache.get(A, "page") is None
    cache.put(A, "page", generation, b"A")  # read during the gap: not kept either
    assert cache.get(A, "page") is None
    assert _count(registry, "bypass") == 1


def test_forgetting_an_unknown_company_forgets_all() -> None:
    cache, _ = _cache()
    cache.put(A, "a", cache.generation(A), b"A")
    cache.put(B, "b", cache.generation(B), b"B")
    cache.forget(None)
    assert cache.get(A, "a") is None and cache.get(B, "b") is None


def test_ttl_and_size_bound() -> None:
    cache, _ = _cache(entries=2, ttl_s=0.05)
    for n in range(3):
        cache.put(A, n, cache.generation(A), b"%d" % n)
    assert len(cache) == 2 and cache.get(A, 0) is None  # the least recently used went
    time.sleep(0.06)
    assert cache.get(A, 1) is None and cache.get(A, 2) is None  # past the TTL


@pytest.mark.parametrize(("entries", "ttl_s"), [(0, 5.0), (8, 0.0)])
def test_off(entries: int, ttl_s: float) -> None:
    cache, registry = _cache(entries, ttl_s)
    cache.put(A, "page", cache.generation(A), b"A")
    assert cache.get(A, "page") is None and len(cache) == 0
    assert _count(registry, "bypass") == 1


# --- through gateways: real Postgres, real Redis, the relay listening --------------------------

Client = TestClient[Any, Any]


@pytest.fixture
async def two_gateways(settings: Settings, pg: AsyncConnectionPool) -> AsyncIterator[list[Client]]:
    """Two gateways on one database and Redis; pages kept a minute (a fresh page can only come
    from a forget, not from the TTL)."""
    kept = settings.model_copy(update={"page_cache_ttl_s": 60.0})
    async with (
        TestClient(GatewayTestServer(create_app(kept))) as one,
        TestClient(GatewayTestServer(create_app(kept))) as two,
    ):
        for c in (one, two):
            await wait_until_listening(c.app)
        yield [one, two]


async def _inbox(make_tenant: MakeTenant, pg: AsyncConnectionPool) -> tuple[Tenant, Any, Any]:
    """A company with a ready session and one chat in it."""
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    return t, session, await seed_chat(pg, session.id, "79001112233@c.us", name="Ann")


async def _chats(c: Client, url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await c.get(url, headers=headers)
    assert resp.status == 200, await resp.text()
    chats: list[dict[str, Any]] = (await resp.json())["data"]["chats"]
    return chats


async def _until(check: Callable[[], Awaitable[bool]], timeout_s: float = 3.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not await check():  # noqa: ASYNC110 (a page over HTTP, polled)
            await asyncio.sleep(0.02)


def _hits(c: Client) -> float:
    value = c.app[METRICS_REGISTRY].get_sample_value("gateway_page_cache_total", {"result": "hit"})
    return value or 0.0


async def test_pages_are_kept_and_a_workers_event_refreshes_them(
    two_gateways: list[Client], make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis
) -> None:
    one, two = two_gateways
    t, session, chat = await _inbox(make_tenant, pg)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/messages"
    h = t.admin.headers
    first = await (await one.get(url, headers=h)).read()
    assert await (await one.get(url, headers=h)).read() == first
    assert _hits(one) == 1
    # a worker stores a message and logs + publishes its event: both gateways drop their pages
    [new_id] = await seed_messages(pg, session.id, chat.id, 1)
    async with pg.connection() as conn:
        row = await chats.get(conn, company_id=t.company.id, session_id=session.id, chat_id=chat.id)
    assert row is not None
    await log_and_publish(pg, redis, chat_event(t.company.id, row))

    async def shows_it(c: Client) -> bool:
        data = (await (await c.get(url, headers=h)).json())["data"]
        return [m["id"] for m in data["messages"]] == [str(new_id)]

    await _until(lambda: shows_it(one))
    await _until(lambda: shows_it(two))


async def test_a_change_through_any_gateway_is_seen_by_the_next_read(
    two_gateways: list[Client], make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    one, two = two_gateways
    t, session, chat = await _inbox(make_tenant, pg)
    url, h = f"/api/whatsapp/sessions/{session.id}/chats", t.admin.headers
    for c in (one, two):
        assert [x["archived"] for x in await _chats(c, url, h)] == [False]
        await _chats(c, url, h)  # now kept on both
    assert _hits(one) == _hits(two) == 1
    resp = await one.patch(f"{url}/{chat.id}", json={"archived": True}, headers=h)
    assert resp.status == 200, await resp.text()
    # the gateway that made the change: at once, no wait (read your writes)
    assert [x["archived"] for x in await _chats(one, url, h)] == [True]

    async def two_sees_it() -> bool:
        return [x["archived"] for x in await _chats(two, url, h)] == [True]

    await _until(two_sees_it)  # the other: as soon as the event's wake-up reaches it


async def test_a_revoked_grant_ends_a_kept_page_at_once(
    two_gateways: list[Client], make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    one, two = two_gateways
    t, session, _ = await _inbox(make_tenant, pg)
    await grant(pg, t.company.id, session.id, t.manager.user.id)
    url = f"/api/whatsapp/sessions/{session.id}/chats"
    for _ in range(2):  # kept for the manager on the other gateway
        assert len(await _chats(two, url, t.manager.headers)) == 1
    resp = await one.delete(
        f"/api/whatsapp/sessions/{session.id}/access/{t.manager.user.id}", headers=t.admin.headers
    )
    assert resp.status == 200, await resp.text()

    async def refused() -> bool:
        return (await two.get(url, headers=t.manager.headers)).status == 404

    await _until(refused)
    # another company's admin never gets the kept page of this one
    other = await make_tenant()
    assert (await two.get(url, headers=other.admin.headers)).status == 404


async def test_a_change_nobody_announced_lasts_the_ttl_at_most(
    settings: Settings, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    short = settings.model_copy(update={"page_cache_ttl_s": 0.3})
    async with TestClient(GatewayTestServer(create_app(short))) as c:
        await wait_until_listening(c.app)
        t, session, _ = await _inbox(make_tenant, pg)
        url, h = f"/api/whatsapp/sessions/{session.id}/chats", t.admin.headers
        assert len(await _chats(c, url, h)) == 1
        # written straight into Postgres, no event: not how anything of ours writes
        await seed_chat(pg, session.id, "79004445566@c.us", name="Bob")
        started = time.monotonic()

        async def both() -> bool:
            return len(await _chats(c, url, h)) == 2

        await _until(both)
        assert time.monotonic() - started < 1.5
