"""Fixtures shared by every test: a fresh database, a private Redis DB, settings, app clients."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.auth.passwords import Passwords
from gateway.auth.tokens import issue_token
from shared.db.pool import make_pool
from shared.db.repos import companies, users
from shared.db.types import Company, User
from shared.settings import Settings
from tests.support.databases import REDIS_PREFIX, REDIS_URL, fresh_database, truncate_all
from tests.support.gateways import GatewayTestServer, wait_until_listening

pytest_plugins = ["tests.support.stack", "tests.support.s3server"]


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        mode="test",
        database_url=database_url,
        redis_url=REDIS_URL,
        jwt_secret="test-" + secrets.token_hex(24),
        password_memory_kib=64,
        password_time_cost=1,
        login_attempts=5,
        login_window_s=60,
        profile_dir=tmp_path_factory.mktemp("profiles"),
        media_dir=tmp_path_factory.mktemp("media"),
        redis_prefix=REDIS_PREFIX,
    )


@pytest.fixture
async def pg(settings: Settings) -> AsyncIterator[AsyncConnectionPool]:
    truncate_all(settings.database_url)
    pool = make_pool(settings.database_url, min_size=1, max_size=4)
    await pool.open(wait=True, timeout=10)
    yield pool
    await pool.close()


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def client(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(GatewayTestServer(create_app(settings))) as c:
        await wait_until_listening(c.app)
        yield c


@dataclass(frozen=True)
class Account:
    user: User
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def id(self) -> UUID:
        return self.user.id


MakeCompany = Callable[..., Awaitable[Company]]
MakeUser = Callable[..., Awaitable[Account]]


@pytest.fixture
def make_company(pg: AsyncConnectionPool) -> MakeCompany:
    async def make(name: str | None = None, max_sessions: int = 5) -> Company:
        async with pg.connection() as conn:
            return await companies.create(
                conn, name=name or f"Co {secrets.token_hex(3)}", max_sessions=max_sessions
            )

    return make


@pytest.fixture
def make_user(pg: AsyncConnectionPool, settings: Settings) -> MakeUser:
    hasher = Passwords(settings)

    async def make(
        role: str,
        company: Company | None = None,
        *,
        email: str | None = None,
        disabled: bool = False,
    ) -> Account:
        password = "pw-" + secrets.token_hex(6)
        async with pg.connection() as conn:
            user = await users.create(
                conn,
                company_id=company.id if company and role != "operator" else None,
                email=email or f"{role}-{secrets.token_hex(4)}@example.test",
                password_hash=hasher.hash_sync(password),
                role=role,
                display_name=role.title(),
            )
            if disabled:
                await users.set_disabled(
                    conn, company_id=user.company_id, user_id=user.id, disabled=True
                )
        token, _ = issue_token(settings, user)
        return Account(user=user, password=password, token=token)

    return make
