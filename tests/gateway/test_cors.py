"""CORS: listed origins get the headers (errors included) and preflights; others are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser

Client = TestClient[Any, Any]
ALLOWED = "https://app.example"


@pytest.fixture
async def cors_client(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[Client]:
    app = create_app(settings.model_copy(update={"cors_origins": f"{ALLOWED}, https://b.example"}))
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_preflight_from_a_listed_origin(cors_client: Client) -> None:
    resp = await cors_client.options(
        "/api/auth/login",
        headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"},
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]


async def test_preflight_from_another_origin_is_refused(cors_client: Client) -> None:
    resp = await cors_client.options(
        "/api/auth/login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "APP_CORS_ORIGINS" in (await resp.json())["error"]["message"]


async def test_responses_and_errors_carry_the_headers(
    cors_client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    admin = await make_user("admin", await make_company())
    ok = await cors_client.get("/api/auth/me", headers={**admin.headers, "Origin": ALLOWED})
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-ID" in ok.headers["Access-Control-Expose-Headers"]
    denied = await cors_client.get("/api/auth/me", headers={"Origin": ALLOWED})
    assert denied.status == 401 and denied.headers["Access-Control-Allow-Origin"] == ALLOWED
    other = await cors_client.get("/api/auth/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
