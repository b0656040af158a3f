"""Fencing on real Postgres and Redis (no browser): a grant bumps the token, an older token's
writes are refused (state, messages, chats, events) and reported once, a write in flight holds
the grant back, and a lease whose Redis is cut off is given up inside its TTL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import event_log, sessions
from shared.fencing import Fence, StaleFence
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.tcp_proxy import TcpProxy, target_of, via
from tests.support.wa import seed_chat, seed_session
from worker.fenced import FencedPool
from worker.lease import Lease
from worker.publisher import Publisher


async def _grant(pg: AsyncConnectionPool, session_id: UUID, worker_id: str) -> Fence:
    async with pg.connection() as conn:
        row = await sessions.worker_grant(conn, session_id=session_id, worker_id=worker_id)
    assert row is not None
    return Fence(row.id, row.fence)


@asynccontextmanager
async def _fenced(
    settings: Settings, fence: Fence, refused: list[StaleFence]
) -> AsyncIterator[FencedPool]:
    pool = FencedPool(settings.database_url, fence=fence, on_refused=refused.append)
    await pool.open(wait=True, timeout=10)
    try:
        yield pool
    finally:
        await pool.close()


def _publisher(
    pool: AsyncConnectionPool, redis: Redis, session_id: UUID, company: UUID
) -> Publisher:
    return Publisher(
        pool, redis, channel=NAMES.events_channel, session_id=session_id, company_id=company,
        worker_id="w",
    )  # fmt: skip


async def test_grants_only_grow_and_an_older_tokens_writes_are_refused(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    session = await seed_session(pg, company)
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    first = await _grant(pg, session.id, "w1")
    second = await _grant(pg, session.id, "w2")
    assert second.token > first.token > 0
    refused: list[StaleFence] = []
    async with _fenced(settings, first, refused) as old, _fenced(settings, second, []) as new:
        stale = _publisher(old, redis, session.id, company)
        with pytest.raises(StaleFence):
            await stale.transition(SessionState.READY, "restored")
        with pytest.raises(StaleFence):
            await stale.observed(
                chat, wa_msg_id="LATE", direction="in", sender="Ann", body="late",
                status="delivered", wa_timestamp=datetime.now(UTC),
            )  # fmt: skip
        with pytest.raises(StaleFence):
            await stale.forget_identity()  # an autocommit write, outside any unit
        assert [r.fence for r in refused] == [first, first, first]
        # the holder of the newer grant writes as usual
        current = _publisher(new, redis, session.id, company)
        assert await current.transition(SessionState.INITIALIZING, "starting")
    async with pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=session.id)
        logged = await event_log.after(conn, company_id=company, after_id=0, limit=10)
        cur = await conn.execute("SELECT count(*) AS n FROM wa_messages WHERE wa_msg_id = 'LATE'")
        late: Any = await cur.fetchone()
    assert row is not None and (row.state, row.worker_id, row.fence) == (
        "initializing",
        "w",
        second.token,
    )
    assert [e.type for e in logged] == ["state"]  # nothing of the stale writer's
    assert late == {"n": 0}


async def test_a_token_of_another_session_and_unfenced_writers(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    mine = await seed_session(pg, company, name="a")
    other = await seed_session(pg, company, name="b")
    fence = await _grant(pg, mine.id, "w1")
    await _grant(pg, other.id, "w2")
    refused: list[StaleFence] = []
    async with _fenced(settings, fence, refused) as pool:
        with pytest.raises(StaleFence):
            await _publisher(pool, redis, other.id, company).transition(SessionState.QR, "qr_shown")
    assert len(refused) == 1
    # the gateway's pool carries no token: never fenced
    async with pg.connection() as conn:
        await sessions.worker_set_state(
            conn, session_id=other.id, state="stopped", reason="stopped_by_admin", worker_id=None
        )


async def test_a_write_in_flight_holds_the_grant_back(
    settings: Settings, pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    """The write commits before the grant (never after it): the check locks the session row."""
    company = (await make_company()).id
    session = await seed_session(pg, company)
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    fence = await _grant(pg, session.id, "w1")
    async with _fenced(settings, fence, []) as pool:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(
                "UPDATE wa_chats SET unread_count = 7 WHERE id = %(id)s", {"id": chat.id}
            )
            grant = asyncio.create_task(_grant(pg, session.id, "w2"))
            await asyncio.sleep(0.3)
            assert not grant.done()  # waits for the write's transaction
        newer = await asyncio.wait_for(grant, 5)
        assert newer.token > fence.token
        with pytest.raises(StaleFence):
            async with pool.connection() as conn:
                await conn.execute(
                    "UPDATE wa_chats SET unread_count = 8 WHERE id = %(id)s", {"id": chat.id}
                )
    async with pg.connection() as conn:
        cur = await conn.execute(
            "SELECT unread_count FROM wa_chats WHERE id = %(id)s", {"id": chat.id}
        )
        unread: Any = await cur.fetchone()
    assert unread == {"unread_count": 7}


async def test_a_lease_cut_off_from_redis_is_given_up_before_it_expires(
    settings: Settings, redis: Redis
) -> None:
    proxy = TcpProxy(*target_of(settings.redis_url, 6379))
    await proxy.start()
    cut_off = Redis.from_url(via(settings.redis_url, proxy.port), socket_timeout=5)
    lease = Lease(
        cut_off, key=NAMES.lease_key("s-1"), session_id="s-1", worker_id="w1", ttl_ms=3000
    )
    lost = asyncio.Event()
    try:
        assert await lease.claim()
        lease.keep_alive(on_lost=lost.set)
        await asyncio.sleep(1.2)  # renewed at least once
        assert await redis.get(NAMES.lease_key("s-1")) == b"w1"
        proxy.blackhole()  # a network that swallows packets: renewals never answer
        await proxy.cut()
        cut_at = time.monotonic()
        await asyncio.wait_for(lost.wait(), 5)
        gave_up_at = time.monotonic()
        # given up while the lease in Redis still stood: nobody else could have claimed it yet
        assert gave_up_at < lease.valid_until
        assert await redis.pttl(NAMES.lease_key("s-1")) > 0
        assert gave_up_at - cut_at < 3.0
    finally:
        await lease.stop_keep_alive()
        await cut_off.aclose()
        await proxy.close()
