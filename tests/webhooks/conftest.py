"""Fixtures for the webhook sender: a recording receiver, a sender running in this process with
quick retries, a tenant with sessions, and events logged the way the worker logs them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import pytest
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.types import Company, Webhook
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeCompany
from tests.support.eventlog import log_and_publish
from tests.support.integrations import make_webhook
from tests.support.receiver import Receiver
from tests.support.wa import seed_session
from webhooks.service import Sender

SECRET = "whsec_receiver-secret-0123456789"


@pytest.fixture
def sender_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "webhook_allow_private": True,  # the receiver is on 127.0.0.1
            "event_poll_s": 0.2,
            "webhook_backoff_base_s": 0.05,
            "webhook_backoff_max_s": 0.3,
            "webhook_timeout_s": 1.0,
            "webhook_retry_for_s": 60.0,
        }
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver(SECRET)
    await r.start()
    yield r
    await r.stop()


@dataclass
class RunningSender:
    sender: Sender
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.sender.request_stop()
        await asyncio.wait_for(self.task, 10)


StartSender = Callable[..., Awaitable[RunningSender]]


@pytest.fixture
async def start_sender(
    sender_settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[StartSender]:
    running: list[RunningSender] = []

    async def start(**overrides: object) -> RunningSender:
        sender = Sender(sender_settings.model_copy(update=overrides))
        one = RunningSender(sender, asyncio.create_task(sender.run()))
        running.append(one)
        return one

    yield start
    for one in running:
        if not one.task.done():
            await one.stop()


@dataclass
class Shop:
    company: Company
    sessions: list[UUID]
    webhook: Webhook


@pytest.fixture
async def shop(pg: AsyncConnectionPool, make_company: MakeCompany, receiver: Receiver) -> Shop:
    company = await make_company()
    sessions = [(await seed_session(pg, company.id, name=f"s{i}")).id for i in range(2)]
    hook = await make_webhook(pg, company.id, receiver.url, secret=SECRET)
    return Shop(company, sessions, hook)


def state(shop: Shop, session: UUID, reason: str) -> events.StateEvent:
    data = events.StateData(state=SessionState.READY, previous=SessionState.QR, reason=reason)
    return events.StateEvent(session_id=session, company_id=shop.company.id, data=data)


async def emit(
    pg: AsyncConnectionPool, redis: Redis, shop: Shop, session: UUID, reasons: list[str]
) -> list[int]:
    """One logged and published state event per reason; returns their ids."""
    ids = []
    for reason in reasons:
        [logged] = await log_and_publish(pg, redis, state(shop, session, reason))
        assert logged.event_id is not None
        ids.append(logged.event_id)
    return ids


async def settled(
    pg: AsyncConnectionPool, webhook_id: UUID, made: int = 1, timeout_s: float = 10.0
) -> None:
    """Until the webhook has ``made`` deliveries or more and none pending in the database
    (deliveries are made a moment after the event; outcomes written a moment after the
    receiver answered)."""
    async with asyncio.timeout(timeout_s):
        while True:
            async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(
                    "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'pending') AS pending"
                    " FROM webhook_deliveries WHERE webhook_id = %(id)s",
                    {"id": webhook_id},
                )
                row = await cur.fetchone()
            if row is not None and row["n"] >= made and row["pending"] == 0:
                return
            await asyncio.sleep(0.05)
