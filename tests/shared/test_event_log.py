"""The event log: per-company ids without gaps, committed in id order even under concurrent
writers (a reader following "after N" never skips one), appended atomically with the change,
refused for a session of another company, and pruned in short batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import event_log, sessions
from shared.eventwriter import EventWriter
from shared.states import SessionState
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.wa import seed_session

WRITERS = 8
EACH = 25


def _state(company: UUID, session: UUID, reason: str) -> events.StateEvent:
    data = events.StateData(state=SessionState.READY, previous=None, reason=reason)
    return events.StateEvent(session_id=session, company_id=company, data=data)


async def test_concurrent_writers_get_gapless_ids_a_follower_never_skips(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    other = (await make_company()).id
    ours = [(await seed_session(pg, company, name=f"s{i}")).id for i in range(WRITERS)]
    theirs = (await seed_session(pg, other)).id
    writer = EventWriter(pg, redis, channel=NAMES.events_channel)
    seen: list[int] = []
    done = asyncio.Event()

    async def write(session: UUID) -> None:
        for i in range(EACH):
            async with writer.unit() as unit:
                await unit.conn.execute("SELECT pg_sleep(0.001)")  # the change, taking a moment
                unit.emit(_state(company, session, f"{i}"))

    async def follow() -> None:
        while not done.is_set() or len(seen) < WRITERS * EACH:
            async with pg.connection() as conn:
                batch = await event_log.after(
                    conn, company_id=company, after_id=seen[-1] if seen else 0, limit=50
                )
            seen.extend(e.event_id or 0 for e in batch)
            await asyncio.sleep(0)

    follower = asyncio.create_task(follow())
    await asyncio.gather(*(write(s) for s in ours))
    async with writer.unit() as unit:  # another company counts from 1 on its own
        unit.emit(_state(other, theirs, "x"))
    done.set()
    await asyncio.wait_for(follower, 30)
    assert seen == list(range(1, WRITERS * EACH + 1))
    assert [e.event_id for e in unit.logged] == [1]
    async with pg.connection() as conn:
        where = await event_log.position(conn, company_id=company)
    assert (where.last_id, where.pruned_through) == (WRITERS * EACH, 0)


async def test_the_event_commits_with_its_change_or_not_at_all(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company, other = (await make_company()).id, (await make_company()).id
    session = (await seed_session(pg, company)).id
    writer = EventWriter(pg, redis, channel=NAMES.events_channel)

    async def change(reason: str, *, claims: UUID, fail: bool = False) -> None:
        async with writer.unit() as unit:
            await sessions.worker_set_state(
                unit.conn, session_id=session, state="ready", reason=reason, worker_id="w"
            )
            unit.emit(_state(claims, session, reason))
            if fail:
                raise RuntimeError("the unit fails after the change")

    with pytest.raises(RuntimeError):
        await change("failed", claims=company, fail=True)
    with pytest.raises(event_log.UnknownSession):  # an envelope naming another company
        await change("lying", claims=other)
    async with pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=session)
        assert row is not None and row.state == "idle"  # both changes rolled back
        assert (await event_log.position(conn, company_id=company)).last_id == 0
        assert (await event_log.position(conn, company_id=other)).last_id == 0
    await change("kept", claims=company)
    async with pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=session)
        [logged] = await event_log.after(conn, company_id=company, after_id=0, limit=5)
    assert row is not None and (row.state, row.state_reason) == ("ready", "kept")
    assert isinstance(logged, events.StateEvent) and logged.data.reason == "kept"


async def test_pruning_goes_in_batches_and_marks_what_is_gone(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    a, b = (await make_company()).id, (await make_company()).id
    sa, sb = (await seed_session(pg, a)).id, (await seed_session(pg, b)).id
    writer = EventWriter(pg, redis, channel=NAMES.events_channel)
    for company, session in ((a, sa), (b, sb)):
        for i in range(6):
            async with writer.unit() as unit:
                unit.emit(_state(company, session, str(i)))
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE event_log SET at = now() - interval '10 days'"
            " WHERE (company_id = %(a)s AND id <= 4) OR (company_id = %(b)s AND id <= 1)",
            {"a": a, "b": b},
        )
        cutoff = datetime.now(UTC) - timedelta(days=7)
        steps = [await event_log.prune(conn, before=cutoff, batch=2) for _ in range(4)]
        assert steps == [2, 2, 1, 0]
        assert await event_log.position(conn, company_id=a) == event_log.Position(6, 4)
        assert await event_log.position(conn, company_id=b) == event_log.Position(6, 1)
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT company_id, id FROM event_log ORDER BY company_id, id")
            left = [(r["company_id"], r["id"]) for r in await cur.fetchall()]
    assert sorted(left) == sorted([(a, i) for i in (5, 6)] + [(b, i) for i in range(2, 7)])
