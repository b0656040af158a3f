"""Table-driven role checks over every declared endpoint: wrong role 403, no token 401."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from gateway.app import all_endpoints
from gateway.auth.principal import Role
from tests.conftest import MakeCompany, MakeUser

Client = TestClient[Any, Any]
SAMPLE_ID = "00000000-0000-4000-8000-000000000000"


def _path(template: str) -> str:
    out = template
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + SAMPLE_ID + out[end + 1 :]
    return out


async def test_every_endpoint_enforces_its_roles(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    company = await make_company()
    accounts = {
        Role.ADMIN: await make_user("admin", company),
        Role.MANAGER: await make_user("manager", company),
        Role.OPERATOR: await make_user("operator"),
    }
    checked = 0
    for ep in all_endpoints():
        if ep.roles is None:
            continue
        path = _path(ep.path)
        anon = await client.request(ep.method, path)
        assert anon.status == 401, f"{ep.method} {ep.path} without token"
        for role, account in accounts.items():
            resp = await client.request(ep.method, path, headers=account.headers, json={})
            if role in ep.roles:
                assert resp.status not in (401, 403), f"{role} on {ep.method} {ep.path}"
            else:
                assert resp.status == 403, f"{role} on {ep.method} {ep.path}"
                assert (await resp.json())["error"]["code"] == "forbidden"
            checked += 1
    assert checked >= 3 * 4
