"""Fixtures for the WhatsApp REST tests: an arq client on the test Redis and ready tenants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from arq.connections import ArqRedis
from redis.asyncio import Redis

from shared.db.types import Company
from shared.settings import Settings
from tests.conftest import Account, MakeCompany, MakeUser


@pytest.fixture
async def arq(settings: Settings, redis: Redis) -> AsyncIterator[ArqRedis]:
    client = ArqRedis.from_url(settings.redis_url)
    yield client
    await client.aclose()


@dataclass(frozen=True)
class Tenant:
    company: Company
    admin: Account
    manager: Account


MakeTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture
def make_tenant(make_company: MakeCompany, make_user: MakeUser) -> MakeTenant:
    async def make(max_sessions: int = 5) -> Tenant:
        company = await make_company(max_sessions=max_sessions)
        return Tenant(
            company=company,
            admin=await make_user("admin", company),
            manager=await make_user("manager", company),
        )

    return make
