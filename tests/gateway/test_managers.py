"""Managers CRUD by company admins, tenant-safe and audited."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from shared.db.repos import audit
from tests.conftest import MakeCompany, MakeUser

Client = TestClient[Any, Any]


async def test_admin_creates_lists_and_deletes_managers(
    client: Client, make_company: MakeCompany, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    company = await make_company()
    admin = await make_user("admin", company)
    created = await client.post(
        "/api/managers",
        json={"email": "New.Manager@Example.test", "password": "long-enough", "displayName": "Nia"},
        headers=admin.headers,
    )
    assert created.status == 201
    manager = (await created.json())["data"]["manager"]
    assert manager["email"] == "new.manager@example.test" and manager["role"] == "manager"
    assert manager["companyId"] == str(company.id)

    login = await client.post(
        "/api/auth/login", json={"email": "new.manager@example.test", "password": "long-enough"}
    )
    assert login.status == 200

    listed = await client.get("/api/managers", headers=admin.headers)
    assert [m["id"] for m in (await listed.json())["data"]["managers"]] == [manager["id"]]

    deleted = await client.delete(f"/api/managers/{manager['id']}", headers=admin.headers)
    assert deleted.status == 200
    again = await client.delete(f"/api/managers/{manager['id']}", headers=admin.headers)
    assert again.status == 404

    async with pg.connection() as conn:
        actions = [e.action for e in await audit.list_for_company(conn, company_id=company.id)]
    assert actions == ["manager.delete", "manager.create"]


async def test_a_taken_email_gets_the_same_neutral_409_whoever_holds_it(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    """An admin learns nothing about other companies: the answer for an address of their own
    company, of another company and of an operator is the same."""
    admin = await make_user("admin", await make_company())
    elsewhere = await make_user("manager", await make_company())
    operator = await make_user("operator")
    answers = []
    for taken in (admin.user.email, elsewhere.user.email, operator.user.email.upper()):
        body = {"email": taken, "password": "long-enough"}
        resp = await client.post("/api/managers", json=body, headers=admin.headers)
        assert resp.status == 409
        error = (await resp.json())["error"]
        assert error["details"] == [{"field": "email", "message": "cannot be used"}]
        answers.append(error["message"])
    assert len(set(answers)) == 1 and "exist" not in answers[0]


async def test_other_company_managers_are_invisible_and_undeletable(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    a_admin = await make_user("admin", await make_company())
    b_company = await make_company()
    b_manager = await make_user("manager", b_company)
    listed = await client.get("/api/managers", headers=a_admin.headers)
    assert (await listed.json())["data"]["managers"] == []
    resp = await client.delete(f"/api/managers/{b_manager.id}", headers=a_admin.headers)
    assert resp.status == 404
    # a manager cannot be deleted by another manager, nor an admin through this route
    b_admin = await make_user("admin", b_company)
    resp = await client.delete(f"/api/managers/{b_admin.id}", headers=b_admin.headers)
    assert resp.status == 404


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "not-an-email", "password": "long-enough"}, "email"),
        ({"email": "a@b.test", "password": "short"}, "password"),
        ({"email": "a@b.test"}, "password"),
        ({"email": "a@b.test", "password": "long-enough", "displayName": 7}, "displayName"),
        ({"email": "a@b.test", "password": "long-enough", "role": "admin"}, "role"),
    ],
)
async def test_bad_manager_bodies_name_the_field(
    client: Client, make_company: MakeCompany, make_user: MakeUser, body: dict[str, Any], field: str
) -> None:
    admin = await make_user("admin", await make_company())
    resp = await client.post("/api/managers", json=body, headers=admin.headers)
    assert resp.status == 400
    err = (await resp.json())["error"]
    assert err["details"][0]["field"] == field
    assert field in err["message"]


async def test_malformed_manager_id_is_400(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    admin = await make_user("admin", await make_company())
    resp = await client.delete("/api/managers/123", headers=admin.headers)
    assert resp.status == 400
    assert (await resp.json())["error"]["details"][0]["field"] == "id"
