"""Sessions: create within the limit (also under concurrency), list, get, QR as JSON and PNG,
delete; every admin action audited; starts queued on the pool."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from PIL import Image
from psycopg_pool import AsyncConnectionPool
from pyzbar.pyzbar import decode as zbar_decode
from redis.asyncio import Redis

from shared.db.repos import audit, sessions
from shared.qr import data_url, render_png
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.wa import QR_REF, grant, hold_lease, queued, seed_chat, seed_session

Client = TestClient[Any, Any]
BASE = "/api/whatsapp/sessions"


async def test_create_lists_and_queues_a_start(
    client: Client, make_tenant: MakeTenant, arq: ArqRedis, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    resp = await client.post(BASE, json={"name": "  Sales  "}, headers=t.admin.headers)
    assert resp.status == 201
    data = (await resp.json())["data"]
    sid = data["sessionId"]
    assert data["status"] == "idle" and data["message"]
    session = data["session"]
    assert session["name"] == "Sales" and session["desiredState"] == "running"
    assert session["rights"] == {"canRead": True, "canWrite": True, "canManageChats": True}
    assert set(session) >= {
        "id", "name", "state", "stateReason", "stateDetail", "desiredState", "phone",
        "displayName", "workerId", "lastReadyAt", "createdAt", "hasQr",
    }  # fmt: skip

    jobs = await arq.queued_jobs(queue_name=NAMES.pool_queue)
    assert [(j.job_id, j.function, j.args[0]) for j in jobs] == [
        (NAMES.start_job_id(sid), "start_session", {"session_id": sid})
    ]
    listed = await client.get(BASE, headers=t.admin.headers)
    assert [s["id"] for s in (await listed.json())["data"]["sessions"]] == [sid]
    got = await client.get(f"{BASE}/{sid}", headers=t.admin.headers)
    assert (await got.json())["data"]["session"]["id"] == sid
    async with pg.connection() as conn:
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    assert [(e.action, e.target, e.user_id) for e in entries] == [
        ("session.create", sid, t.admin.id)
    ]


async def test_bad_names_are_400(client: Client, make_tenant: MakeTenant) -> None:
    t = await make_tenant()
    for body in ({"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 5}):
        resp = await client.post(BASE, json=body, headers=t.admin.headers)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["details"][0]["field"] == "name"
    for raw in (b"[]", b"null", b'"Sales"', b"{"):
        resp = await client.post(
            BASE, data=raw, headers={**t.admin.headers, "Content-Type": "application/json"}
        )
        assert resp.status == 400, raw


async def test_create_without_a_body_gets_a_generated_unique_name(
    client: Client, make_tenant: MakeTenant, arq: ArqRedis, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant(max_sessions=10)
    json_headers = {**t.admin.headers, "Content-Type": "application/json"}
    # as the seed's client sends it: Content-Type JSON and no body at all
    first = await client.post(BASE, headers=json_headers)
    assert first.status == 201, await first.text()
    data = (await first.json())["data"]
    assert data["session"]["name"] == "Session 1" and data["status"] == "idle"
    assert (await queued(arq, NAMES.pool_queue))[0] == (
        "start_session",
        {"session_id": data["sessionId"]},
    )
    # someone already took "Session 3": the generated names skip it
    taken = await client.post(BASE, json={"name": "Session 3"}, headers=t.admin.headers)
    assert taken.status == 201
    names = []
    bodies: list[dict[str, Any]] = [
        {"data": b""},
        {"data": b"  \n"},
        {"json": {}},
        {"json": {"name": None}},
    ]
    for kwargs in bodies:
        resp = await client.post(BASE, headers=json_headers, **kwargs)
        assert resp.status == 201, (kwargs, await resp.text())
        names.append((await resp.json())["data"]["session"]["name"])
    assert names == ["Session 4", "Session 5", "Session 6", "Session 7"]

    # concurrent body-less creates still get distinct names (the company row is locked)
    results = await asyncio.gather(*(client.post(BASE, headers=json_headers) for _ in range(3)))
    assert sorted(r.status for r in results) == [201, 201, 201]
    async with pg.connection() as conn:
        rows = await sessions.list_for_company(conn, company_id=t.company.id)
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    all_names = [r.name for r in rows]
    assert len(set(all_names)) == len(all_names) == 9
    assert set(all_names[-3:]) == {"Session 8", "Session 9", "Session 10"}
    assert {e.details["name"] for e in entries[:3]} == {"Session 8", "Session 9", "Session 10"}


async def test_limit_is_409_and_holds_under_concurrency(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant(max_sessions=2)
    results = await asyncio.gather(
        *(client.post(BASE, json={"name": f"s{i}"}, headers=t.admin.headers) for i in range(6))
    )
    codes = sorted(r.status for r in results)
    assert codes == [201, 201, 409, 409, 409, 409]
    conflict = next(r for r in results if r.status == 409)
    err = (await conflict.json())["error"]
    assert err["code"] == "conflict" and err["details"] == {"maxSessions": 2}
    async with pg.connection() as conn:
        assert await sessions.count(conn, company_id=t.company.id) == 2


async def test_manager_sees_only_readable_sessions_with_rights(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    cid = t.company.id
    readable = await seed_session(pg, cid, name="a")
    unreadable = await seed_session(pg, cid, name="b")
    await seed_session(pg, cid, name="c")
    await grant(pg, cid, readable.id, t.manager.id, write=True)
    await grant(pg, cid, unreadable.id, t.manager.id, read=False, write=True)
    listed = await client.get(BASE, headers=t.manager.headers)
    got = (await listed.json())["data"]["sessions"]
    assert [(s["id"], s["rights"]) for s in got] == [
        (str(readable.id), {"canRead": True, "canWrite": True, "canManageChats": False})
    ]
    ok = await client.get(f"{BASE}/{readable.id}", headers=t.manager.headers)
    assert ok.status == 200
    for hidden in (unreadable.id,):
        resp = await client.get(f"{BASE}/{hidden}", headers=t.manager.headers)
        assert resp.status == 404


async def test_qr_as_json_and_png(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr", qr=QR_REF)
    resp = await client.get(f"{BASE}/{session.id}/qr", headers=t.admin.headers)
    assert resp.status == 200
    data = (await resp.json())["data"]
    assert data["isConnected"] is False and data["status"] == "qr"
    assert data["qrRaw"] == QR_REF and data["expiresAt"]
    assert data["qrCode"].startswith("data:image/png;base64,")
    png = base64.b64decode(data["qrCode"].split(",", 1)[1])
    assert zbar_decode(Image.open(io.BytesIO(png)))[0].data.decode() == QR_REF

    raw = await client.get(f"{BASE}/{session.id}/qr?format=png", headers=t.admin.headers)
    assert raw.status == 200 and raw.content_type == "image/png"
    image = Image.open(io.BytesIO(await raw.read()))
    assert zbar_decode(image)[0].data.decode() == QR_REF

    got = await client.get(f"{BASE}/{session.id}", headers=t.admin.headers)
    assert (await got.json())["data"]["session"]["hasQr"] is True
    bad = await client.get(f"{BASE}/{session.id}/qr?format=gif", headers=t.admin.headers)
    assert bad.status == 400 and (await bad.json())["error"]["details"][0]["field"] == "format"


async def test_the_qr_served_is_the_png_kept_with_it(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    """REST answers the PNG the worker stored with the QR, byte for byte (no second rendering):
    here one of another module size than the gateway would ever render."""
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr", qr=QR_REF)
    kept = render_png(QR_REF, box_size=2)
    async with pg.connection() as conn:
        await sessions.worker_set_qr(
            conn, session_id=session.id, qr_payload=QR_REF, expires_at=None, qr_png=kept
        )
    raw = await client.get(f"{BASE}/{session.id}/qr?format=png", headers=t.admin.headers)
    assert raw.status == 200 and await raw.read() == kept
    resp = await client.get(f"{BASE}/{session.id}/qr", headers=t.admin.headers)
    assert (await resp.json())["data"]["qrCode"] == data_url(kept)


async def test_no_qr_is_null_json_and_404_png(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready", phone="79990001122")
    resp = await client.get(f"{BASE}/{session.id}/qr", headers=t.admin.headers)
    data = (await resp.json())["data"]
    assert data["isConnected"] is True and data["qrCode"] is None and data["qrRaw"] is None
    png = await client.get(f"{BASE}/{session.id}/qr?format=png", headers=t.admin.headers)
    assert png.status == 404
    assert (await png.json())["error"]["code"] == "not_found"


async def test_qr_is_admin_only(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr", qr=QR_REF)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    resp = await client.get(f"{BASE}/{session.id}/qr", headers=t.manager.headers)
    assert resp.status == 403


async def test_delete_held_session_queues_logout_then_removes_everything(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, redis: Redis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    await seed_chat(pg, session.id, "1@c.us", name="A")
    await hold_lease(redis, session.id, "w-7")
    resp = await client.delete(f"{BASE}/{session.id}", headers=t.admin.headers)
    assert resp.status == 200 and (await resp.json())["data"]["deleted"] is True
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("logout", {"session_id": str(session.id), "reason": "deleted"})
    ]
    async with pg.connection() as conn:
        assert await sessions.get(conn, company_id=t.company.id, session_id=session.id) is None
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    assert entries[0].action == "session.delete" and entries[0].details["worker"] == "w-7"
    again = await client.delete(f"{BASE}/{session.id}", headers=t.admin.headers)
    assert again.status == 404


async def test_delete_unheld_session_queues_nothing(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="stopped", desired="stopped")
    resp = await client.delete(f"{BASE}/{session.id}", headers=t.admin.headers)
    assert resp.status == 200
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []


async def test_non_uuid_ids_are_400_naming_the_parameter(
    client: Client, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    for path, field in (
        (f"{BASE}/nope", "id"),
        (f"{BASE}/nope/qr", "id"),
        (f"{BASE}/00000000-0000-4000-8000-000000000000/chats/x/messages", "chatId"),
    ):
        resp = await client.get(path, headers=t.admin.headers)
        assert resp.status == 400, path
        assert (await resp.json())["error"]["details"][0]["field"] == field


async def test_sessions_carry_how_many_chats_are_unread(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    busy = await seed_session(pg, t.company.id, name="busy", state="ready")
    quiet = await seed_session(pg, t.company.id, name="quiet", state="ready")
    for i, unread in enumerate((3, 0, 1)):
        await seed_chat(pg, busy.id, f"7900000000{i}@c.us", unread=unread)
    await seed_chat(pg, quiet.id, "79000000009@c.us")
    await grant(pg, t.company.id, busy.id, t.manager.id)
    listed = await client.get("/api/whatsapp/sessions", headers=t.admin.headers)
    counts = {s["name"]: s["unreadChats"] for s in (await listed.json())["data"]["sessions"]}
    assert counts == {"busy": 2, "quiet": 0}
    mine = await client.get("/api/whatsapp/sessions", headers=t.manager.headers)
    assert [(s["name"], s["unreadChats"]) for s in (await mine.json())["data"]["sessions"]] == [
        ("busy", 2)
    ]
    one = await client.get(f"/api/whatsapp/sessions/{busy.id}", headers=t.manager.headers)
    assert (await one.json())["data"]["session"]["unreadChats"] == 2
