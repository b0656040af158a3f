"""API keys: scopes enforced on every route of the OpenAPI document (table-driven), shown once
and stored hashed, revocable at once, last use noted, create and revoke audited, limited to
chosen sessions, never across companies; on the socket too."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import all_endpoints
from gateway.auth.principal import Scope
from shared import events
from shared.db.repos import audit
from shared.states import SessionState
from tests.conftest import MakeCompany, MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.eventlog import log_and_publish
from tests.support.integrations import make_key, make_webhook
from tests.support.sockets import SocketProbe
from tests.support.wa import seed_session
from tests.support.world import call_for, seed_world

Client = TestClient[Any, Any]


async def test_every_route_of_the_spec_enforces_its_key_scope(
    client: Client,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    world = await seed_world(pg, redis, make_company, make_user)
    company = world.admin.user.company_id
    assert company is not None
    session = UUID(world.ids["id"])
    spec = await (await client.get("/api/openapi.json")).json()
    by_route = {(ep.method.lower(), ep.path): ep for ep in all_endpoints()}
    every = [Scope.READ, Scope.SEND, Scope.MANAGE]
    checked = 0
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            ep = by_route[(method, path)]
            if ep.roles is None:
                continue
            call = call_for(ep, world)
            scope = op.get("x-api-key-scope")
            others = [s for s in every if s != scope] if scope else every
            lacking = await make_key(pg, company, others)
            resp = await client.request(
                call.method, call.path, json=call.json, headers=lacking.headers
            )
            assert resp.status == 403, f"{method} {path} with {others}: {resp.status}"
            assert (await resp.json())["error"]["code"] == "forbidden"
            if scope is None:
                checked += 1
                continue
            exact = await make_key(pg, company, [scope])
            resp = await client.request(
                call.method, call.path, json=call.json, headers=exact.headers
            )
            assert resp.status not in (401, 403), f"{method} {path} with [{scope}]: {resp.status}"
            limited = await make_key(pg, company, [scope], sessions=[session])
            resp = await client.request(
                call.method, call.path, json=call.json, headers=limited.headers
            )
            if op["x-company-wide"]:
                assert resp.status == 403, f"{method} {path} with a session-limited key"
            else:
                assert resp.status not in (401, 403), f"{method} {path} limited: {resp.status}"
            checked += 1
    assert checked == sum(1 for ep in all_endpoints() if ep.roles is not None)


async def test_a_key_is_shown_once_stored_hashed_noted_and_revoked_at_once(
    client: Client, make_tenant: MakeTenant, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    created = await client.post(
        "/api/api-keys",
        json={"name": "CRM", "scopes": ["read", "send", "read"]},
        headers=t.admin.headers,
    )
    assert created.status == 201, await created.text()
    data = (await created.json())["data"]
    key, shown = data["key"], data["apiKey"]
    assert key.startswith("wagw_") and shown["prefix"] == key[:12]
    assert (shown["scopes"], shown["sessionIds"], shown["lastUsedAt"]) == (
        ["read", "send"],
        None,
        None,
    )
    listed = await (await client.get("/api/api-keys", headers=t.admin.headers)).json()
    assert key not in str(listed) and listed["data"]["apiKeys"][0]["id"] == shown["id"]
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM api_keys")
        [row] = await cur.fetchall()
    assert bytes(row["key_hash"]) == hashlib.sha256(key.encode()).digest()
    assert key not in str(row)

    use = await client.get("/api/whatsapp/sessions", headers={"X-Api-Key": key})
    assert use.status == 200, await use.text()
    listed = await (await client.get("/api/api-keys", headers=t.admin.headers)).json()
    assert listed["data"]["apiKeys"][0]["lastUsedAt"] is not None

    for who in (t.manager.headers, {"X-Api-Key": key}):  # managers and keys make no keys
        refused = await client.post(
            "/api/api-keys", json={"name": "x", "scopes": ["read"]}, headers=who
        )
        assert refused.status == 403
    revoked = await client.delete(f"/api/api-keys/{shown['id']}", headers=t.admin.headers)
    assert revoked.status == 200 and (await revoked.json())["data"]["apiKey"]["revokedAt"]
    gone = await client.get("/api/whatsapp/sessions", headers={"X-Api-Key": key})
    assert gone.status == 401
    assert (await gone.json())["error"]["message"] == "invalid or revoked API key"
    for bad in ("wagw_" + "x" * 43, "nonsense", "wagw_" + "\u00e9" * 43):
        wrong = await client.get("/api/whatsapp/sessions", headers={"X-Api-Key": bad})
        assert wrong.status == 401
    async with pg.connection() as conn:
        rows = await audit.list_for_company(conn, company_id=t.company.id)
    assert [(e.action, e.target, e.user_id) for e in rows] == [
        ("apikey.revoke", shown["id"], t.admin.id),
        ("apikey.create", shown["id"], t.admin.id),
    ]
    assert rows[1].details == {"name": "CRM", "scopes": ["read", "send"], "sessionIds": None}


async def test_keys_webhooks_and_sessions_of_another_company_stay_invisible(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    a, b = await make_tenant(), await make_tenant()
    a_session = (await seed_session(pg, a.company.id)).id
    b_session = (await seed_session(pg, b.company.id)).id
    a_key = await make_key(pg, a.company.id, ["read", "send", "manage"])
    b_key = await make_key(pg, b.company.id, ["read"])
    b_hook = await make_webhook(pg, b.company.id, "https://93.184.215.14/b")
    for headers in (a_key.headers, a.admin.headers):
        listed = await (await client.get("/api/whatsapp/sessions", headers=headers)).json()
        assert [s["id"] for s in listed["data"]["sessions"]] == [str(a_session)]
        for path in (
            f"/api/whatsapp/sessions/{b_session}",
            f"/api/webhooks/{b_hook.id}",
            f"/api/webhooks/{b_hook.id}/deliveries",
        ):
            assert (await client.get(path, headers=headers)).status == 404, path
        hooks = await (await client.get("/api/webhooks", headers=headers)).json()
        assert hooks["data"]["webhooks"] == []
    keys = await (await client.get("/api/api-keys", headers=a.admin.headers)).json()
    assert [k["id"] for k in keys["data"]["apiKeys"]] == [str(a_key.row.id)]
    assert (
        await client.delete(f"/api/api-keys/{b_key.row.id}", headers=a.admin.headers)
    ).status == 404
    send = await client.post(
        f"/api/whatsapp/sessions/{b_session}/messages",
        json={"to": "79001234567", "message": "hi"},
        headers=a_key.headers,
    )
    assert send.status == 404
    bad = await client.post(
        "/api/api-keys",
        json={"name": "x", "scopes": ["read"], "sessionIds": [str(b_session)]},
        headers=a.admin.headers,
    )
    assert bad.status == 400 and "sessionIds" in (await bad.json())["error"]["message"]


async def test_a_key_limited_to_sessions_reaches_those_only(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    mine = (await seed_session(pg, t.company.id, name="mine")).id
    other = (await seed_session(pg, t.company.id, name="other")).id
    key = await make_key(pg, t.company.id, ["read", "manage"], sessions=[mine])
    listed = await (await client.get("/api/whatsapp/sessions", headers=key.headers)).json()
    assert [s["id"] for s in listed["data"]["sessions"]] == [str(mine)]
    assert listed["data"]["sessions"][0]["rights"] == {
        "canRead": True,
        "canWrite": False,
        "canManageChats": True,
    }
    assert (await client.get(f"/api/whatsapp/sessions/{other}", headers=key.headers)).status == 404
    stop = await client.post(f"/api/whatsapp/sessions/{other}/stop", headers=key.headers)
    assert stop.status == 404
    stats = await (await client.get("/api/whatsapp/stats", headers=key.headers)).json()
    assert (stats["data"]["scope"], stats["data"]["totalSessions"]) == ("granted", 1)
    wide = await client.get("/api/webhooks", headers=key.headers)
    assert (
        wide.status == 403 and "limited to some sessions" in (await wide.json())["error"]["message"]
    )


async def test_keys_on_the_socket(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis
) -> None:
    t = await make_tenant()
    cid = t.company.id
    mine = (await seed_session(pg, cid, name="mine")).id
    other = (await seed_session(pg, cid, name="other")).id
    url = str(client.make_url("")).rstrip("/")
    reader = await make_key(pg, cid, ["read"], sessions=[mine])
    manager = await make_key(pg, cid, ["read", "manage"])
    sender = await make_key(pg, cid, ["send"])
    refused = SocketProbe()
    assert not await refused.connect(url, None, apiKey=sender.key)
    assert "lacks the 'read' scope" in str(refused.refused)
    assert not await refused.connect(url, None, apiKey="wagw_nope")
    probes = [SocketProbe(), SocketProbe()]
    try:
        assert await probes[0].connect(url, None, apiKey=reader.key)
        assert await probes[1].connect(url, None, apiKey=manager.key)
        for p in probes:
            await p.wait_for("connection-confirmed")
        state = events.StateData(state=SessionState.QR, previous=None, reason="r")
        qr = events.QrData(qr_code="data:image/png;base64,AA==", qr_raw="2@x", expires_at=None)
        for sid in (mine, other):
            await log_and_publish(
                pg,
                redis,
                events.StateEvent(session_id=sid, company_id=cid, data=state),
                events.QrEvent(session_id=sid, company_id=cid, data=qr),
            )
        await probes[1].wait_for("whatsapp:qr", count=2)
        await probes[0].wait_for("whatsapp:state", count=2)  # replay + live
        await probes[0].quiet()
        assert {s["sessionId"] for s in probes[0].of("whatsapp:state")} == {str(mine)}
        assert probes[0].of("whatsapp:qr") == [], "QR codes need the manage scope"
        assert {q["sessionId"] for q in probes[1].of("whatsapp:qr")} == {str(mine), str(other)}
        revoked = await client.delete(f"/api/api-keys/{reader.row.id}", headers=t.admin.headers)
        assert revoked.status == 200
        [closed] = await probes[0].wait_for("connection-closed")
        assert closed["reconnect"] is False
    finally:
        for p in probes:
            await p.disconnect()
