"""Single-session shortcuts: status is always 200 (every state, no session, ungranted manager,
operator, database down), flat and mirrored under data; start creates or starts the default
session; reset logs out and starts fresh."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.auth.tokens import issue_token
from shared.db.repos import audit, sessions
from shared.db.types import User
from shared.settings import Settings
from shared.states import SessionState
from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.wa import QR_REF, grant, queued, seed_session

Client = TestClient[Any, Any]
PATHS = ("/api/whatsapp/status", "/whatsapp/status")
FIELDS = {
    "success", "status", "isReady", "hasQr", "qrCode", "currentState", "message",
    "accountInfo", "sessionId",
}  # fmt: skip


async def _status(client: Client, headers: dict[str, str]) -> dict[str, Any]:
    bodies = []
    for path in PATHS:
        resp = await client.get(path, headers=headers)
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        assert set(body) == FIELDS | {"data"} and body["data"] == {
            k: v for k, v in body.items() if k != "data"
        }
        bodies.append(body)
    assert bodies[0] == bodies[1]
    return bodies[0]


@pytest.mark.parametrize("state", list(SessionState))
async def test_status_in_every_state(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, state: SessionState
) -> None:
    t = await make_tenant()
    linked = state in (SessionState.READY, SessionState.DISCONNECTED)
    session = await seed_session(
        pg,
        t.company.id,
        state=state,
        qr=QR_REF if state is SessionState.QR else None,
        phone="79990001122" if linked else None,
        display_name="Shop" if linked else None,
    )
    await grant(pg, t.company.id, session.id, t.manager.id)
    admin = await _status(client, t.admin.headers)
    assert admin["success"] is True and admin["sessionId"] == str(session.id)
    assert admin["status"] == admin["currentState"] == state
    assert admin["isReady"] is (state is SessionState.READY)
    assert admin["hasQr"] is (state is SessionState.QR)
    assert admin["message"]
    if state is SessionState.QR:
        assert admin["qrCode"].startswith("data:image/png;base64,")
    else:
        assert admin["qrCode"] is None
    expected_account = {"phone": "79990001122", "displayName": "Shop"} if linked else None
    assert admin["accountInfo"] == expected_account
    manager = await _status(client, t.manager.headers)
    assert manager["qrCode"] is None and manager["hasQr"] is admin["hasQr"]
    assert manager["sessionId"] == str(session.id)


async def test_status_without_a_visible_session(
    client: Client, make_tenant: MakeTenant, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    none = await _status(client, t.admin.headers)
    assert (none["status"], none["sessionId"], none["isReady"]) == ("no_session", None, False)
    await seed_session(pg, t.company.id, state="ready")
    ungranted = await _status(client, t.manager.headers)
    assert ungranted["status"] == "no_session" and ungranted["sessionId"] is None
    operator = await make_user("operator")
    assert (await _status(client, operator.headers))["status"] == "no_session"
    for path in PATHS:
        assert (await client.get(path)).status == 401


async def test_status_is_200_while_the_database_is_down(settings: Settings, redis: Redis) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/x"})
    user = User(
        id=uuid.uuid4(),
        company_id=uuid.uuid4(),
        email="a@b.test",
        role="admin",
        display_name="",
        disabled=False,
        created_at=datetime.now(UTC),
    )
    token, _ = issue_token(settings, user)
    async with TestClient(TestServer(create_app(down))) as c:
        started = time.monotonic()
        resp = await c.get("/whatsapp/status", headers={"Authorization": f"Bearer {token}"})
        assert time.monotonic() - started < 8
        assert resp.status == 200
        body = await resp.json()
        assert body["success"] is False and body["status"] == "unknown"
        assert "database" in body["message"]
        bad = await c.get("/whatsapp/status", headers={"Authorization": "Bearer nope"})
        assert bad.status == 401


async def test_start_creates_the_default_session_then_starts_it(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    first = await client.post("/api/whatsapp/start", headers=t.admin.headers)
    assert first.status == 200
    body = await first.json()
    assert body["success"] is True and body["created"] is True and body["data"]["created"]
    sid = body["sessionId"]
    async with pg.connection() as conn:
        session = await sessions.default_for_company(conn, company_id=t.company.id)
        assert session is not None and (str(session.id), session.name) == (sid, "default")
        await sessions.set_desired(
            conn, company_id=t.company.id, session_id=session.id, desired_state="stopped"
        )
    assert [f for f, _ in await queued(arq, NAMES.pool_queue)] == ["start_session"]
    await arq.delete(
        NAMES.pool_queue, job_key_prefix + NAMES.start_job_id(sid)
    )  # as if a worker took it
    again = await client.post("/api/whatsapp/start", headers=t.admin.headers)
    body = await again.json()
    assert body["created"] is False and body["sessionId"] == sid
    assert [f for f, _ in await queued(arq, NAMES.pool_queue)] == ["start_session"]
    async with pg.connection() as conn:
        row = await sessions.get(conn, company_id=t.company.id, session_id=session.id)
        actions = [e.action for e in await audit.list_for_company(conn, company_id=t.company.id)]
    assert row is not None and row.desired_state == "running"
    assert actions == ["session.start", "session.create"]
    assert (await client.post("/api/whatsapp/start", headers=t.manager.headers)).status == 403


async def test_start_respects_the_limit(client: Client, make_tenant: MakeTenant) -> None:
    t = await make_tenant(max_sessions=0)
    resp = await client.post("/api/whatsapp/start", headers=t.admin.headers)
    assert resp.status == 409


async def test_reset_logs_out_and_starts_fresh(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    missing = await client.post("/api/whatsapp/reset", headers=t.admin.headers)
    assert missing.status == 404
    session = await seed_session(pg, t.company.id, state="ready", desired="stopped")
    resp = await client.post("/api/whatsapp/reset", headers=t.admin.headers)
    assert resp.status == 200 and (await resp.json())["sessionId"] == str(session.id)
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("logout", {"session_id": str(session.id), "reason": "reset"})
    ]
    assert [f for f, _ in await queued(arq, NAMES.pool_queue)] == ["start_session"]
    async with pg.connection() as conn:
        row = await sessions.get(conn, company_id=t.company.id, session_id=session.id)
        entry = (await audit.list_for_company(conn, company_id=t.company.id))[0]
    assert row is not None and row.desired_state == "running"
    assert entry.action == "session.reset"
