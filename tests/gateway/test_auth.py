"""Login, /me, rate limiting, and every way a token can be bad (always a JSON 401)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient

from gateway.auth.tokens import ISSUER
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser
from tests.support.gateways import wait_until_listening

Client = TestClient[Any, Any]


async def test_login_success_returns_a_working_token(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    company = await make_company()
    admin = await make_user("admin", company)
    resp = await client.post(
        "/api/auth/login", json={"email": admin.user.email.upper(), "password": admin.password}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["success"] is True
    data = body["data"]
    assert data["user"]["id"] == str(admin.id) and data["user"]["role"] == "admin"
    assert "passwordHash" not in data["user"] and data["expiresAt"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {data['token']}"})
    assert me.status == 200
    me_data = (await me.json())["data"]
    assert me_data["user"]["email"] == admin.user.email
    assert me_data["company"]["id"] == str(company.id)
    assert me_data["limits"] == {"mediaMaxBytes": 16 * 1024 * 1024}  # APP_MEDIA_MAX_MB's default


async def test_wrong_password_and_unknown_email_look_the_same(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    admin = await make_user("admin", await make_company())
    wrong = await client.post("/api/auth/login", json={"email": admin.user.email, "password": "x"})
    unknown = await client.post("/api/auth/login", json={"email": "no@one.test", "password": "x"})
    assert wrong.status == unknown.status == 401
    assert (await wrong.json())["error"] == (await unknown.json())["error"]


async def test_disabled_user_cannot_log_in_nor_use_an_old_token(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    user = await make_user("manager", await make_company(), disabled=True)
    resp = await client.post(
        "/api/auth/login", json={"email": user.user.email, "password": user.password}
    )
    assert resp.status == 401
    assert (await resp.json())["error"]["message"] == "this account is disabled"
    me = await client.get("/api/auth/me", headers=user.headers)
    assert me.status == 401


async def test_login_is_rate_limited_per_email_and_address(
    client: Client, make_company: MakeCompany, make_user: MakeUser, settings: Settings
) -> None:
    admin = await make_user("admin", await make_company())
    for _ in range(settings.login_attempts):
        r = await client.post("/api/auth/login", json={"email": admin.user.email, "password": "x"})
        assert r.status == 401
    blocked = await client.post(
        "/api/auth/login", json={"email": admin.user.email, "password": admin.password}
    )
    assert blocked.status == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert (await blocked.json())["error"]["code"] == "rate_limited"
    # claiming another address does not help: forwarding headers count only from trusted proxies
    # (tests/gateway/test_forwarded.py has the addresses a trusted proxy reports)
    for header in ("X-Real-IP", "X-Forwarded-For"):
        spoofed = await client.post(
            "/api/auth/login",
            json={"email": admin.user.email, "password": admin.password},
            headers={header: "10.9.8.7"},
        )
        assert spoofed.status == 429, header


@pytest.mark.parametrize(
    "body,field",
    [
        ({"email": "a@b.test"}, "password"),
        ({"password": "x"}, "email"),
        ({"email": 5, "password": "x"}, "email"),
        ({"email": "a@b.test", "password": "x", "admin": True}, "admin"),
    ],
)
async def test_login_bad_body_names_the_field(
    client: Client, body: dict[str, Any], field: str
) -> None:
    resp = await client.post("/api/auth/login", json=body)
    assert resp.status == 400
    err = (await resp.json())["error"]
    assert err["code"] == "validation_error"
    assert err["message"].startswith(f"{field}:")
    assert err["details"][0]["field"] == field


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(user_id: uuid.UUID, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": str(user_id), "role": "admin", "iat": now, "exp": now + 600, "iss": ISSUER}
    claims.update(over)
    return claims


async def test_bad_tokens_are_401_json(
    client: Client, make_company: MakeCompany, make_user: MakeUser, settings: Settings
) -> None:
    admin = await make_user("admin", await make_company())
    secret = settings.jwt_secret
    now = int(time.time())
    tokens = {
        "expired": jwt.encode(_claims(admin.id, iat=now - 100, exp=now - 10), secret, "HS256"),
        "forged": jwt.encode(_claims(admin.id), "another-secret-entirely-000000000", "HS256"),
        "alg_none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims(admin.id)) + ".",
        "no_exp": jwt.encode({k: v for k, v in _claims(admin.id).items() if k != "exp"}, secret),
        "hs512": jwt.encode(_claims(admin.id), secret, "HS512"),
        "garbage": "not.a.token",
        "unknown_user": jwt.encode(_claims(uuid.uuid4()), secret, "HS256"),
        # validly signed, but no token this gateway issues lives that long (was a 500)
        "huge_exp": jwt.encode(_claims(admin.id, exp=10**30), secret, "HS256"),
        "far_exp": jwt.encode(_claims(admin.id, exp=now + 10 * 365 * 86400), secret, "HS256"),
        "no_such_role": jwt.encode(_claims(admin.id, role="root"), secret, "HS256"),
        "not_utf8": "\udcff.\udcff.x",
    }
    for name, token in tokens.items():
        resp = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 401, name
        body = await resp.json()
        assert body["success"] is False and body["error"]["code"] == "unauthorized", name
    expired = await client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {tokens['expired']}"}
    )
    assert (await expired.json())["error"]["message"] == "token expired"
    for header in ("", "Basic abc", "Bearer "):
        resp = await client.get("/api/auth/me", headers={"Authorization": header})
        assert resp.status == 401


async def test_a_token_checked_once_still_expires_on_time(
    client: Client, make_company: MakeCompany, make_user: MakeUser, settings: Settings
) -> None:
    """gateway/auth/tokens.py keeps verified tokens: a kept one is refused from its exp on."""
    admin = await make_user("admin", await make_company())
    exp = int(time.time()) + 2
    token = jwt.encode(_claims(admin.id, exp=exp), settings.jwt_secret, "HS256")
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # the first check keeps it, the others use it
        assert (await client.get("/api/auth/me", headers=headers)).status == 200
    await asyncio.sleep(exp - time.time() + 0.2)
    late = await client.get("/api/auth/me", headers=headers)
    assert late.status == 401
    assert (await late.json())["error"]["message"] == "token expired"
    forged = jwt.encode(_claims(admin.id, exp=exp + 60), "another-secret-entirely-000000", "HS256")
    resp = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert resp.status == 401  # a token is kept only once its signature was checked


async def test_a_user_disabled_behind_the_gateways_back_is_cut_off_within_the_cache_ttl(
    settings: Settings, make_company: MakeCompany, make_user: MakeUser, pg: Any, redis: Any
) -> None:
    from aiohttp.test_utils import TestServer

    from gateway.app import create_app
    from shared.db.repos import users

    cached = settings.model_copy(update={"auth_cache_s": 0.5})
    user = await make_user("admin", await make_company())
    async with TestClient(TestServer(create_app(cached))) as c:
        await wait_until_listening(c.app)  # the cache is used only while notices can arrive
        assert (await c.get("/api/managers", headers=user.headers)).status == 200
        async with pg.connection() as conn:
            await users.set_disabled(
                conn, company_id=user.user.company_id, user_id=user.id, disabled=True
            )
        # no notice (a direct SQL update): within the TTL the cached user still passes, after
        # it the token is refused (with a notice it is at once: tests/gateway/test_revocation.py)
        assert (await c.get("/api/managers", headers=user.headers)).status == 200
        assert (await c.get("/api/auth/me", headers=user.headers)).status == 401  # reads afresh
        await asyncio.sleep(0.6)
        assert (await c.get("/api/managers", headers=user.headers)).status == 401
