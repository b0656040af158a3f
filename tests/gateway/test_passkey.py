"""``GET/POST .../passkey`` and ``POST .../passkey/cancel`` without a browser (the worker is played
by the test): what the admin is asked, an answer used once and queued for the worker, refusals
that name the field and leave the request open, 404/409/410, audit rows (refusals too); and the
``whatsapp:passkey_*`` events reaching admins only, replayed on connect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import audit, passkeys
from shared.db.types import PasskeyRequest, WaSession
from shared.passkeys import RequestOptions
from tests.gateway.as_worker import publish
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.passkeys import SoftPasskey
from tests.support.sockets import SocketProbe
from tests.support.wa import (
    PASSKEY_CHALLENGE,
    grant,
    queued,
    seed_passkey_request,
    seed_session,
)

Client = TestClient[Any, Any]
OPTIONS = {
    "challenge": PASSKEY_CHALLENGE,
    "rpId": "whatsapp.com",
    "timeout": 600_000,
    "userVerification": "required",
    "allowCredentials": [],
}


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


def _url(session: WaSession, tail: str = "") -> str:
    return f"/api/whatsapp/sessions/{session.id}/passkey{tail}"


async def _asked(pg: AsyncConnectionPool, t: Tenant) -> tuple[WaSession, PasskeyRequest]:
    session = await seed_session(pg, t.company.id, state="qr")
    return session, await seed_passkey_request(pg, session.id)


async def _actions(pg: AsyncConnectionPool, t: Tenant) -> list[tuple[str, dict[str, Any]]]:
    async with pg.connection() as conn:
        rows = await audit.list_for_company(conn, company_id=t.company.id)
    return [(r.action, r.details) for r in reversed(rows)]


async def test_the_admin_sees_the_request_and_answers_it_once(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    nothing = await seed_session(pg, t.company.id, name="quiet", state="qr")
    resp = await client.get(_url(nothing), headers=t.admin.headers)
    idle = (await resp.json())["data"]
    assert (idle["sessionId"], idle["pending"], idle["requestId"]) == (str(nothing.id), False, None)
    session, request = await _asked(pg, t)
    resp = await client.get(_url(session), headers=t.admin.headers)
    assert resp.headers["Cache-Control"] == "no-store"
    data = (await resp.json())["data"]
    assert data == {
        "sessionId": str(session.id),
        "pending": True,
        "requestId": str(request.id),
        "stage": "sign",
        "options": OPTIONS,  # no nulls: a browser refuses e.g. "hints": null
        "origin": "https://web.whatsapp.com",
        "expiresAt": request.expires_at.isoformat().replace("+00:00", "Z"),
        "confirmationCode": None,
        "confirmationExpiresAt": None,
    }

    credential = SoftPasskey().assertion(PASSKEY_CHALLENGE)
    body = {"requestId": str(request.id), "credential": credential}
    resp = await client.post(_url(session), json=body, headers=t.admin.headers)
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["data"] == {
        "sessionId": str(session.id),
        "requestId": str(request.id),
        "status": "answered",
    }
    [(name, args)] = await queued(arq, NAMES.session_queue(str(session.id)))
    assert name == "passkey_answer"
    assert (args["session_id"], args["request_id"]) == (str(session.id), str(request.id))
    assert (
        args["credential"]["response"]["client_data_json"]
        == (credential["response"]["clientDataJSON"])
    )
    resp = await client.get(_url(session), headers=t.admin.headers)
    assert (await resp.json())["data"]["stage"] == "answered"

    again = await client.post(_url(session), json=body, headers=t.admin.headers)
    assert again.status == 409
    assert "used once" in (await again.json())["error"]["message"]
    assert len(await queued(arq, NAMES.session_queue(str(session.id)))) == 1
    async with pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=request.id)
    assert row is not None and (row.status, row.answered_by) == ("answered", t.admin.id)
    actions = await _actions(pg, t)
    assert [a for a, _ in actions] == ["session.passkey_answer", "session.passkey_refused"]
    assert actions[0][1] == {"requestId": str(request.id), "credentialId": credential["id"]}
    assert actions[1][1]["action"] == "answer" and "used once" in actions[1][1]["why"]


KEY = SoftPasskey()
WRONG: list[tuple[str, dict[str, Any], str]] = [
    ("another challenge", KEY.assertion("b3RoZXItY2hhbGxlbmdlLTAwMDAwMDA"),
     "credential.response.clientDataJSON.challenge"),
    ("another origin", KEY.assertion(PASSKEY_CHALLENGE, origin="https://web.whatsapp.com.evil"),
     "credential.response.clientDataJSON.origin"),
    ("another rpId", KEY.assertion(PASSKEY_CHALLENGE, rp_id="whatsapp.co"),
     "credential.response.authenticatorData.rpIdHash"),
    ("not verified", KEY.assertion(PASSKEY_CHALLENGE, flags=0x01),
     "credential.response.authenticatorData.flags"),
    ("not present", KEY.assertion(PASSKEY_CHALLENGE, flags=0x04),
     "credential.response.authenticatorData.flags"),
    ("a registration", KEY.assertion(PASSKEY_CHALLENGE, kind="webauthn.create"),
     "credential.response.clientDataJSON.type"),
    ("two ids", {**KEY.assertion(PASSKEY_CHALLENGE), "rawId": "AAAA"}, "credential.rawId"),
    ("short data", {**KEY.assertion(PASSKEY_CHALLENGE),
                    "response": {**KEY.assertion(PASSKEY_CHALLENGE)["response"],
                                 "authenticatorData": "AAAA"}},
     "credential.response.authenticatorData"),
    ("not base64url", {**KEY.assertion(PASSKEY_CHALLENGE), "id": "a+b/c="}, "credential.id"),
    ("no signature", {**KEY.assertion(PASSKEY_CHALLENGE),
                      "response": {**KEY.assertion(PASSKEY_CHALLENGE)["response"],
                                   "signature": ""}},
     "credential.response.signature"),
    ("a registration's type", {**KEY.assertion(PASSKEY_CHALLENGE), "type": "password"},
     "credential.type"),
    ("unknown member", {**KEY.assertion(PASSKEY_CHALLENGE), "extra": 1}, "credential.extra"),
]  # fmt: skip


@pytest.mark.parametrize(("why", "credential", "field"), WRONG, ids=[w[0] for w in WRONG])
async def test_an_assertion_that_does_not_answer_it_is_400_and_the_request_stays(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    arq: ArqRedis,
    why: str,
    credential: dict[str, Any],
    field: str,
) -> None:
    t = await make_tenant()
    session, request = await _asked(pg, t)
    body = {"requestId": str(request.id), "credential": credential}
    resp = await client.post(_url(session), json=body, headers=t.admin.headers)
    assert resp.status == 400, why
    error = (await resp.json())["error"]
    assert error["details"][0]["field"] == field, error
    assert await queued(arq, NAMES.session_queue(str(session.id))) == []
    async with pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=request.id)
    assert row is not None and row.status == "pending"


async def test_another_sessions_request_a_late_one_and_cancels(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, request = await _asked(pg, t)
    other, other_request = await _asked(pg, t)
    good = SoftPasskey().assertion(PASSKEY_CHALLENGE)
    # a request of another session of the company, posted here: not this session's
    body = {"requestId": str(other_request.id), "credential": good}
    resp = await client.post(_url(session), json=body, headers=t.admin.headers)
    assert resp.status == 404
    # too late
    late = await seed_session(pg, t.company.id, name="late", state="qr")
    expired = await seed_passkey_request(pg, late.id, expires_in_s=-1)
    body = {"requestId": str(expired.id), "credential": good}
    resp = await client.post(_url(late), json=body, headers=t.admin.headers)
    assert (resp.status, (await resp.json())["error"]["code"]) == (410, "gone")
    resp = await client.post(
        _url(late, "/cancel"), json={"requestId": str(expired.id)}, headers=t.admin.headers
    )
    assert resp.status == 410
    # cancel: queued once for the worker; then nothing more can be done with it
    cancel = {"requestId": str(request.id)}
    resp = await client.post(_url(session, "/cancel"), json=cancel, headers=t.admin.headers)
    assert resp.status == 200
    assert (await resp.json())["data"]["status"] == "cancelled"
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("passkey_cancel", {"session_id": str(session.id), "request_id": str(request.id)})
    ]
    for path, extra in ((_url(session, "/cancel"), {}), (_url(session), {"credential": good})):
        resp = await client.post(path, json={**cancel, **extra}, headers=t.admin.headers)
        assert resp.status == 409
        assert "cancelled" in (await resp.json())["error"]["message"]
    resp = await client.get(_url(session), headers=t.admin.headers)
    assert (await resp.json())["data"]["pending"] is False
    del other
    actions = [a for a, _ in await _actions(pg, t)]
    assert actions.count("session.passkey_cancel") == 1
    assert actions.count("session.passkey_refused") == 5


async def test_a_manager_is_refused_with_read_access_too(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, request = await _asked(pg, t)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    body = {"requestId": str(request.id), "credential": SoftPasskey().assertion(PASSKEY_CHALLENGE)}
    for method, path, payload in (
        ("GET", _url(session), None),
        ("POST", _url(session), body),
        ("POST", _url(session, "/cancel"), {"requestId": str(request.id)}),
    ):
        resp = await client.request(method, path, json=payload, headers=t.manager.headers)
        assert resp.status == 403, path


async def test_events_reach_admins_only_and_are_replayed_on_connect(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    probes: list[SocketProbe],
) -> None:
    t = await make_tenant()
    session, request = await _asked(pg, t)
    await grant(pg, t.company.id, session.id, t.manager.id)
    admin = await _probe(probes, client, t.admin.token)
    manager = await _probe(probes, client, t.manager.token)
    [replayed] = await admin.wait_for("whatsapp:passkey_required")
    expires = request.expires_at.isoformat().replace("+00:00", "Z")
    assert replayed == {
        "sessionId": str(session.id),
        "requestId": str(request.id),
        "options": OPTIONS,
        "origin": "https://web.whatsapp.com",
        "expiresAt": expires,
        "replay": True,
    }
    # the worker: WhatsApp accepted it, a number to confirm on the phone
    code_expires = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=120)
    async with pg.connection() as conn:
        await passkeys.worker_end(
            conn, request_id=request.id, status="answered", from_statuses=("pending",)
        )
        await passkeys.worker_confirming(
            conn, request_id=request.id, code="47", expires_at=code_expires
        )
    await publish(
        pg,
        redis,
        events.PasskeyConfirmationEvent(
            session_id=session.id,
            company_id=t.company.id,
            data=events.PasskeyConfirmationData(
                request_id=request.id, code="47", expires_at=code_expires
            ),
        ),
    )
    [live] = await admin.wait_for("whatsapp:passkey_confirmation")
    assert (live["code"], live["requestId"]) == ("47", str(request.id))
    await manager.quiet()
    assert manager.of("whatsapp:passkey_required") == []
    assert manager.of("whatsapp:passkey_confirmation") == []
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_sessions SET state = 'passkey_confirmation' WHERE id = %(id)s",
            {"id": session.id},
        )
    late_admin = await _probe(probes, client, t.admin.token)
    [again] = await late_admin.wait_for("whatsapp:passkey_confirmation")
    assert (again["code"], again["replay"]) == ("47", True)
    assert late_admin.of("whatsapp:passkey_required") == []


def test_options_keep_what_webauthn_defines_and_drop_the_proxys_extension() -> None:
    seen = {
        **OPTIONS,
        "extensions": {
            "remoteDesktopClientOverride": {"origin": "https://web.whatsapp.com"},
            "largeBlob": {"read": True},
        },
        "somethingNew": 1,
    }
    options = RequestOptions.from_page(seen)
    assert options.to_wire() == {**OPTIONS, "extensions": {"largeBlob": {"read": True}}}
    assert RequestOptions.from_page(OPTIONS).to_wire() == OPTIONS
