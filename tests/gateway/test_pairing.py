"""``POST .../pairing-code``: queues ``pairing_code`` and answers with the worker's new code (the
worker is played by the test, writing Postgres and publishing as it does); 409 when linked or
stopped, 504 when no code comes, 400 naming ``phone``; ``whatsapp:pairing_code`` reaches
company admins only and is replayed on connect while valid."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import audit
from shared.db.types import WaSession
from shared.settings import Settings
from tests.gateway.as_worker import (
    next_command,
    pairing_event,
    publish,
    set_state,
    store_pairing_code,
)
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.sockets import SocketProbe
from tests.support.wa import grant, queued, seed_session

Client = TestClient[Any, Any]
WAIT_S = 3.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short wait, so that the 504 case does not sit out the default 20 s."""
    return settings.model_copy(update={"pairing_code_wait_s": WAIT_S})


@pytest.fixture
async def probes() -> AsyncIterator[list[SocketProbe]]:
    made: list[SocketProbe] = []
    yield made
    for p in made:
        await p.disconnect()


async def _probe(probes: list[SocketProbe], client: Client, token: str) -> SocketProbe:
    p = SocketProbe()
    probes.append(p)
    assert await p.connect(str(client.make_url("")).rstrip("/"), token), p.refused
    await p.wait_for("connection-confirmed")
    return p


def _url(session: WaSession) -> str:
    return f"/api/whatsapp/sessions/{session.id}/pairing-code"


async def _worker_answers(
    pg: AsyncConnectionPool, redis: Redis, arq: ArqRedis, session: WaSession, code: str
) -> tuple[dict[str, Any], datetime]:
    """Take the queued command and do what the worker does with it: store, then publish."""
    name, args = await next_command(arq, session.id)
    assert name == "pairing_code"
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=180)
    await store_pairing_code(pg, session.id, code, expires, args["phone"])
    await publish(pg, redis, pairing_event(session, code, args["phone"], expires))
    return args, expires


async def test_code_comes_back_and_reaches_admins_only(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    arq: ArqRedis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr", qr="2@ref,a,b,c")
    # a code from before is on the row: the answer must be a new one, not this
    await store_pairing_code(pg, session.id, "OLD1OLD2", datetime.now(UTC) + timedelta(60))
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    admin = await _probe(probes, client, t.admin.token)
    manager = await _probe(probes, client, t.manager.token)

    asked = asyncio.create_task(
        client.post(_url(session), json={"phone": "+7 (903) 555-66-77"}, headers=t.admin.headers)
    )
    args, expires = await _worker_answers(pg, redis, arq, session, "K7QX9M2A")
    resp = await asked
    assert resp.status == 200, await resp.text()
    assert args == {"session_id": str(session.id), "phone": "79035556677"}
    assert (await resp.json())["data"] == {
        "sessionId": str(session.id),
        "code": "K7QX9M2A",
        "phone": "79035556677",
        "expiresAt": expires.isoformat().replace("+00:00", "Z"),
    }

    # the code that was on screen when the admin connected was replayed (stored without the
    # phone it was asked for, so its phone is unknown), then the new one arrived live
    replayed, pushed = await admin.wait_for("whatsapp:pairing_code", 2)
    assert (replayed["code"], replayed["phone"], replayed["replay"]) == ("OLD1OLD2", "", True)
    assert pushed == {
        "sessionId": str(session.id),
        "code": "K7QX9M2A",
        "phone": "79035556677",
        "expiresAt": expires.isoformat().replace("+00:00", "Z"),
        "eventId": 1,
    }
    await manager.quiet()
    assert manager.of("whatsapp:pairing_code") == [], "pairing codes are for admins only"
    async with pg.connection() as conn:
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    assert [(e.action, e.target, e.details) for e in entries] == [
        ("session.pairing_code", str(session.id), {"name": session.name, "phone": "79035556677"})
    ]


async def test_replayed_on_connect_while_valid_and_shown(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    arq: ArqRedis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    showing = await seed_session(pg, t.company.id, name="showing", state="qr", qr="2@r,a,b,c")
    expired = await seed_session(pg, t.company.id, name="expired", state="qr", qr="2@r,a,b,c")
    linked = await seed_session(pg, t.company.id, name="linked", state="ready")
    asked = asyncio.create_task(
        client.post(_url(showing), json={"phone": "15550001111"}, headers=t.admin.headers)
    )
    _, expires = await _worker_answers(pg, redis, arq, showing, "ABCD2345")
    assert (await asked).status == 200
    past = datetime.now(UTC) - timedelta(seconds=1)
    await store_pairing_code(pg, expired.id, "GONE0000", past)
    await store_pairing_code(pg, linked.id, "USED0000", datetime.now(UTC) + timedelta(60))
    await grant(pg, t.company.id, showing.id, t.manager.id)

    admin = await _probe(probes, client, t.admin.token)
    manager = await _probe(probes, client, t.manager.token)
    [replayed] = await admin.wait_for("whatsapp:pairing_code")
    assert replayed == {
        "sessionId": str(showing.id),
        "code": "ABCD2345",
        "phone": "15550001111",
        "expiresAt": expires.isoformat().replace("+00:00", "Z"),
        "replay": True,
    }
    await manager.wait_for("whatsapp:state")
    await admin.quiet()
    assert len(admin.of("whatsapp:pairing_code")) == 1  # not the expired one, not the linked one
    assert manager.of("whatsapp:pairing_code") == []


@pytest.mark.parametrize(
    ("state", "desired", "message"),
    [
        ("ready", "running", "linked already"),
        ("authenticated", "running", "linked already"),
        ("disconnected", "running", "linked already"),
        ("qr", "stopped", "start it"),
        ("passkey_required", "running", "passkey"),
        ("passkey_confirmation", "running", "passkey"),
        ("stopped", "stopped", "start it"),
    ],
)
async def test_linked_or_stopped_is_409_and_nothing_queued(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    arq: ArqRedis,
    state: str,
    desired: str,
    message: str,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state=state, desired=desired)
    resp = await client.post(_url(session), json={"phone": "79035556677"}, headers=t.admin.headers)
    assert resp.status == 409
    assert message in (await resp.json())["error"]["message"]
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []


async def test_no_code_in_time_is_504_json_and_the_job_expires(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr")
    resp = await client.post(_url(session), json={"phone": "79035556677"}, headers=t.admin.headers)
    assert resp.status == 504
    body = await resp.json()
    assert body["success"] is False and body["error"]["code"] == "timeout"
    assert "no pairing code within 3 s" in body["error"]["message"]
    # the job expired with the wait: a worker that gets to it only now drops it, as nobody
    # waits for that code any more (arq keeps the id on the queue, the job itself is gone)
    [job_id] = await arq.zrange(NAMES.session_queue(str(session.id)), 0, -1)
    assert not await arq.exists(f"arq:job:{job_id.decode()}")


async def test_linked_meanwhile_is_409_without_waiting_out(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr")
    asked = asyncio.create_task(
        client.post(_url(session), json={"phone": "79035556677"}, headers=t.admin.headers)
    )
    await next_command(arq, session.id)
    await set_state(pg, redis, session, "authenticated", "qr_scanned")  # a QR scan won
    resp = await asked
    assert resp.status == 409 and "linked already" in (await resp.json())["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone": ""},
        {"phone": "12"},
        {"phone": "+7 903 abc"},
        {"phone": 79035556677},
        {"phone": "7" * 16},
        {"phone": "79035556677", "name": "x"},
    ],
)
async def test_bad_phone_is_400_naming_it(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis, body: Any
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr")
    resp = await client.post(_url(session), json=body, headers=t.admin.headers)
    assert resp.status == 400
    field = (await resp.json())["error"]["details"][0]["field"]
    assert field == ("name" if "name" in body else "phone")
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []


async def test_other_company_is_404_and_managers_403(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    a, b = await make_tenant(), await make_tenant()
    session = await seed_session(pg, a.company.id, state="qr")
    await grant(pg, a.company.id, session.id, a.manager.id, write=True, manage=True)
    body = {"phone": "79035556677"}
    assert (await client.post(_url(session), json=body, headers=b.admin.headers)).status == 404
    assert (await client.post(_url(session), json=body, headers=a.manager.headers)).status == 403
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []


async def test_blocked_meanwhile_is_409_with_the_reason(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="qr")
    asked = asyncio.create_task(
        client.post(_url(session), json={"phone": "79035556677"}, headers=t.admin.headers)
    )
    await next_command(arq, session.id)
    await set_state(pg, redis, session, "blocked", "unknown_dialog", "Review our terms.")
    resp = await asked
    assert resp.status == 409
    message = (await resp.json())["error"]["message"]
    assert message == "the session went to blocked (unknown_dialog): Review our terms."
