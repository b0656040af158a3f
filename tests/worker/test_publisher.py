"""The worker's Publisher on real Postgres and Redis (no browser): each observation commits
with its events in the log (ids on the wire), and a Redis that is down loses nothing."""

from __future__ import annotations

import asyncio

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import event_log, sessions
from shared.qr import data_url
from shared.states import SessionState
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.procs import free_port
from tests.support.wa import seed_chat, seed_session
from worker.publisher import Publisher


async def test_changes_and_their_events_are_logged_then_published_with_ids(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    session = await seed_session(pg, company)
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    pubsub = redis.pubsub()
    await pubsub.subscribe(NAMES.events_channel)
    publisher = Publisher(
        pg, redis, channel=NAMES.events_channel, session_id=session.id, company_id=company,
        worker_id="w-1",
    )  # fmt: skip
    assert await publisher.transition(SessionState.DISCONNECTED, "network_lost")
    await publisher.observed(
        chat,
        wa_msg_id="ABC",
        direction="in",
        sender="Ann",
        body="hello",
        status="delivered",
        wa_timestamp=session.created_at,
    )
    async with pg.connection() as conn:
        logged = await event_log.after(conn, company_id=company, after_id=0, limit=10)
    assert [(e.event_id, e.type) for e in logged] == [
        (1, "state"),
        (2, "disconnected"),
        (3, "message"),
        (4, "chat"),
    ]
    published: list[events.Event] = []
    async with asyncio.timeout(5):
        while len(published) < 4:
            msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
            if msg is not None:
                published.append(events.decode(msg["data"]))
    assert published == logged
    await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_a_redis_that_is_down_loses_nothing(
    pg: AsyncConnectionPool, make_company: MakeCompany
) -> None:
    company = (await make_company()).id
    session = await seed_session(pg, company)
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    publisher = Publisher(
        pg, dead, channel=NAMES.events_channel, session_id=session.id, company_id=company,
        worker_id="w-1",
    )  # fmt: skip
    assert await publisher.transition(SessionState.QR, "qr_shown")
    await publisher.qr("2@ref,a,b,c", None)
    async with pg.connection() as conn:
        logged = await event_log.after(conn, company_id=company, after_id=0, limit=10)
    assert [e.type for e in logged] == ["state", "qr"]
    assert isinstance(logged[1], events.QrEvent) and logged[1].data.qr_raw == "2@ref,a,b,c"
    await dead.aclose()


async def test_a_qr_is_rendered_once_and_kept_with_it(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> None:
    """The event's image and the stored PNG are one rendering (shared/qr.py); leaving the QR
    state drops the PNG with the QR."""
    company = (await make_company()).id
    session = await seed_session(pg, company)
    publisher = Publisher(
        pg, redis, channel=NAMES.events_channel, session_id=session.id, company_id=company,
        worker_id="w-1",
    )  # fmt: skip
    assert await publisher.transition(SessionState.QR, "qr_shown")
    await publisher.qr("2@ref,once,b,c", None)
    async with pg.connection() as conn:
        stored = await sessions.get(conn, company_id=company, session_id=session.id)
        logged = await event_log.after(conn, company_id=company, after_id=0, limit=10)
    assert stored is not None and stored.qr_png is not None
    assert stored.qr_png.startswith(b"\x89PNG")
    qr_event = logged[-1]
    assert isinstance(qr_event, events.QrEvent)
    assert qr_event.data.qr_code == data_url(stored.qr_png)
    assert await publisher.transition(SessionState.READY, "linked")
    async with pg.connection() as conn:
        after = await sessions.get(conn, company_id=company, session_id=session.id)
    assert after is not None and after.qr_payload is None and after.qr_png is None
