"""Access grants: list, grant (upsert), revoke; audited; announced on the access channel (also
when a manager is deleted) so live sockets are re-checked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import access, audit
from shared.notices import decode_access_changed
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.wa import seed_session

Client = TestClient[Any, Any]


class Notices:
    def __init__(self, redis: Redis) -> None:
        self.pubsub = redis.pubsub()

    async def __aenter__(self) -> Notices:
        await self.pubsub.subscribe(NAMES.access_channel)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pubsub.aclose()  # type: ignore[no-untyped-call]

    async def next(self) -> dict[str, Any]:
        async with asyncio.timeout(5):
            while True:
                msg = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                if msg is not None:
                    decode_access_changed(msg["data"])  # the typed model accepts it
                    parsed: dict[str, Any] = json.loads(msg["data"])
                    return parsed


async def test_grant_list_change_revoke(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Redis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id)
    url = f"/api/whatsapp/sessions/{session.id}/access"
    mid = str(t.manager.id)
    expected_notice = {"companyId": str(t.company.id), "userId": mid}
    async with Notices(redis) as notices:
        body = {"managerId": mid, "canRead": True, "canWrite": True, "canManageChats": False}
        resp = await client.post(url, json=body, headers=t.admin.headers)
        assert resp.status == 200
        got = (await resp.json())["data"]["access"]
        assert got["managerId"] == mid and got["email"] == t.manager.user.email
        assert (got["canRead"], got["canWrite"], got["canManageChats"]) == (True, True, False)
        assert got["grantedBy"] == str(t.admin.id)
        assert await notices.next() == expected_notice

        body = {"managerId": mid, "canRead": True, "canWrite": False, "canManageChats": True}
        assert (await client.post(url, json=body, headers=t.admin.headers)).status == 200
        assert await notices.next() == expected_notice
        listed = await client.get(url, headers=t.admin.headers)
        rows = (await listed.json())["data"]["access"]
        assert [(r["managerId"], r["canWrite"], r["canManageChats"]) for r in rows] == [
            (mid, False, True)
        ]

        revoked = await client.delete(f"{url}/{mid}", headers=t.admin.headers)
        assert revoked.status == 200 and (await revoked.json())["data"]["revoked"] is True
        assert await notices.next() == expected_notice
        again = await client.delete(f"{url}/{mid}", headers=t.admin.headers)
        assert again.status == 404

    async with pg.connection() as conn:
        assert (
            await access.list_for_session(conn, company_id=t.company.id, session_id=session.id)
            == []
        )
        actions = [e.action for e in await audit.list_for_company(conn, company_id=t.company.id)]
    assert actions == ["access.revoke", "access.grant", "access.grant"]


async def test_grant_defaults_and_validation(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id)
    url = f"/api/whatsapp/sessions/{session.id}/access"
    resp = await client.post(url, json={"managerId": str(t.manager.id)}, headers=t.admin.headers)
    got = (await resp.json())["data"]["access"]
    assert (got["canRead"], got["canWrite"], got["canManageChats"]) == (True, False, False)
    for body, field in (
        ({}, "managerId"),
        ({"managerId": "nope"}, "managerId"),
        ({"managerId": str(t.manager.id), "canWrite": "yes"}, "canWrite"),
        ({"managerId": str(t.manager.id), "admin": True}, "admin"),
    ):
        bad = await client.post(url, json=body, headers=t.admin.headers)
        assert bad.status == 400, body
        assert (await bad.json())["error"]["details"][0]["field"] == field
    # an admin is not a manager; neither is another company's manager
    not_manager = await client.post(
        url, json={"managerId": str(t.admin.id)}, headers=t.admin.headers
    )
    assert not_manager.status == 404
    other = await make_tenant()
    foreign = await client.post(
        url, json={"managerId": str(other.manager.id)}, headers=t.admin.headers
    )
    assert foreign.status == 404


async def test_deleting_a_manager_is_announced(
    client: Client, make_tenant: MakeTenant, redis: Redis
) -> None:
    t = await make_tenant()
    async with Notices(redis) as notices:
        resp = await client.delete(f"/api/managers/{t.manager.id}", headers=t.admin.headers)
        assert resp.status == 200
        assert await notices.next() == {
            "companyId": str(t.company.id),
            "userId": str(t.manager.id),
        }
