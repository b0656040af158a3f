"""The webhooks API: create (the secret once), validation naming the field, SSRF refusal, list,
change, rotate, delete, replay bounds, every change audited and tenant-scoped."""

from __future__ import annotations

import re
from typing import Any

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.web.routes import STATIC_DIR as STATIC
from shared import events
from shared.db.repos import audit
from shared.events import EVENT_TYPES
from shared.states import SessionState
from tests.gateway.conftest import MakeTenant
from tests.support.eventlog import log_and_publish
from tests.support.wa import seed_session

Client = TestClient[Any, Any]
PUBLIC = "https://93.184.215.14/hooks/wa"


async def test_create_list_change_rotate_delete_audited(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    sid = (await seed_session(pg, t.company.id)).id
    created = await client.post(
        "/api/webhooks",
        json={"url": PUBLIC, "events": ["message", "state"], "sessionIds": [str(sid)]},
        headers=t.admin.headers,
    )
    assert created.status == 201, await created.text()
    data = (await created.json())["data"]
    hook, secret = data["webhook"], data["secret"]
    assert secret.startswith("whsec_") and hook["secretHint"] == "..." + secret[-4:]
    assert (hook["events"], hook["sessionIds"], hook["enabled"]) == (
        ["message", "state"],
        [str(sid)],
        True,
    )
    listed = await (await client.get("/api/webhooks", headers=t.admin.headers)).json()
    assert [h["id"] for h in listed["data"]["webhooks"]] == [hook["id"]]
    assert secret not in str(listed)

    one = f"/api/webhooks/{hook['id']}"
    patched = await client.patch(
        one, json={"sessionIds": None, "enabled": False, "events": []}, headers=t.admin.headers
    )
    assert patched.status == 200, await patched.text()
    got = (await patched.json())["data"]["webhook"]
    assert (got["sessionIds"], got["enabled"], got["events"]) == (None, False, [])
    rotated = await (await client.post(f"{one}/secret", headers=t.admin.headers)).json()
    assert rotated["data"]["secret"] not in (secret, None)
    assert (await client.delete(one, headers=t.admin.headers)).status == 200
    assert (await client.get(one, headers=t.admin.headers)).status == 404
    async with pg.connection() as conn:
        rows = await audit.list_for_company(conn, company_id=t.company.id)
    assert [e.action for e in rows] == [
        "webhook.delete",
        "webhook.secret",
        "webhook.update",
        "webhook.create",
    ]
    assert all(e.target == hook["id"] and e.user_id == t.admin.id for e in rows)
    assert secret not in str([e.details for e in rows])


async def test_bad_input_names_the_field_and_private_targets_are_refused(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    foreign = (await seed_session(pg, other.company.id)).id
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"url": "ftp://93.184.215.14/x"}, "url", "http:// or https://"),
        ({"url": "http://127.0.0.1:8080/hook"}, "url", "not a public address"),
        ({"url": "http://localhost/hook"}, "url", "not a public address"),
        ({"url": "http://10.1.2.3/hook"}, "url", "not a public address"),
        ({"url": "http://[::1]/hook"}, "url", "not a public address"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url", "not a public address"),
        ({"url": "http://[::ffff:192.168.0.1]/"}, "url", "not a public address"),
        ({"url": "https://user:pw@93.184.215.14/"}, "url", "user name or password"),
        ({"url": PUBLIC, "events": ["nope"]}, "events.0", "not an event type"),
        ({"url": PUBLIC, "sessionIds": [str(foreign)]}, "sessionIds", "not a session"),
        ({"url": PUBLIC, "secret": "short"}, "secret", "at least 16"),
        ({"url": PUBLIC, "extra": 1}, "extra", "unknown field"),
    ]
    for body, field, words in cases:
        resp = await client.post("/api/webhooks", json=body, headers=t.admin.headers)
        assert resp.status == 400, (body, await resp.text())
        error = (await resp.json())["error"]
        assert error["details"][0]["field"] == field, (body, error)
        assert words in error["message"], (body, error["message"])
    assert (await client.get("/api/webhooks", headers=t.manager.headers)).status == 403


async def test_replay_stays_within_the_log(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis
) -> None:
    t = await make_tenant()
    sid = (await seed_session(pg, t.company.id)).id
    hook = await client.post("/api/webhooks", json={"url": PUBLIC}, headers=t.admin.headers)
    one = f"/api/webhooks/{(await hook.json())['data']['webhook']['id']}"
    data = events.StateData(state=SessionState.QR, previous=None, reason="r")
    for _ in range(3):
        await log_and_publish(
            pg, redis, events.StateEvent(session_id=sid, company_id=t.company.id, data=data)
        )
    ok = await client.post(f"{one}/replay", json={"afterEventId": 1}, headers=t.admin.headers)
    assert ok.status == 200 and (await ok.json())["data"]["webhook"]["cursor"] == 1
    ahead = await client.post(f"{one}/replay", json={"afterEventId": 9}, headers=t.admin.headers)
    assert ahead.status == 400
    assert (await ahead.json())["error"]["details"][0]["field"] == "afterEventId"
    for bad in ({"afterEventId": -1}, {"afterEventId": "1"}, {}):
        resp = await client.post(f"{one}/replay", json=bad, headers=t.admin.headers)
        assert resp.status == 400, bad


def test_the_dashboard_offers_exactly_the_event_types() -> None:
    source = (STATIC / "js" / "views" / "webhooks.js").read_text()
    found = re.search(r"export const EVENT_TYPES = \[([^\]]*)\];", source)
    assert found, "webhooks.js lists the event types"
    listed = tuple(re.findall(r'"([a-z_]+)"', found.group(1)))  # however the formatter wraps it
    assert listed == EVENT_TYPES
