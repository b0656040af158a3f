"""``GET /api/audit``: the company's audit rows (admins, keys with manage), newest first,
paged and filtered; another company's rows never show."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from shared.db.repos import audit
from tests.gateway.conftest import MakeTenant
from tests.support.integrations import make_key

Client = TestClient[Any, Any]


async def test_paged_filtered_and_tenant_scoped(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    a, b = await make_tenant(), await make_tenant()
    async with pg.connection() as conn:
        for i in range(5):
            await audit.record(
                conn, company_id=a.company.id, user_id=a.admin.id, action="session.stop",
                target=f"s{i}",
            )  # fmt: skip
        await audit.record(conn, company_id=a.company.id, user_id=None, action="webhook.create")
        await audit.record(conn, company_id=b.company.id, user_id=b.admin.id, action="session.stop")
    first = await client.get("/api/audit?limit=4", headers=a.admin.headers)
    assert first.status == 200, await first.text()
    data = (await first.json())["data"]
    assert data["pagination"] == {"page": 1, "limit": 4, "total": 6, "pages": 2}
    assert [e["action"] for e in data["entries"]][:2] == ["webhook.create", "session.stop"]
    second = await (await client.get("/api/audit?limit=4&page=2", headers=a.admin.headers)).json()
    assert [e["target"] for e in second["data"]["entries"]] == ["s1", "s0"]

    for query, total in [
        ("action=session.stop", 5),
        ("action=session.", 5),
        ("action=webhook.", 1),
        (f"userId={a.admin.id}", 5),
        ("target=s3", 1),
        ("since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", 0),
    ]:
        got = await (await client.get(f"/api/audit?{query}", headers=a.admin.headers)).json()
        assert got["data"]["pagination"]["total"] == total, query
    entry = data["entries"][1]
    assert set(entry) == {"id", "userId", "action", "target", "details", "at"}

    key = await make_key(pg, a.company.id, ["manage"])
    by_key = await client.get("/api/audit", headers=key.headers)
    assert (await by_key.json())["data"]["pagination"]["total"] == 6
    assert (await client.get("/api/audit", headers=a.manager.headers)).status == 403
    for bad in ("limit=0", "page=-1", "action=DROP%20TABLE", "userId=nope", "since=yesterday"):
        resp = await client.get(f"/api/audit?{bad}", headers=a.admin.headers)
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["details"][0]["field"] in bad
