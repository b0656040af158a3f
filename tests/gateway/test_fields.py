"""Input fields: phone normalization, and text Postgres cannot store (NUL, lone surrogates)
rejected as 400 naming the field wherever it can enter (never a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from gateway.fields import normalize_phone
from tests.conftest import MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.wa import seed_chat, seed_session

Client = TestClient[Any, Any]


@pytest.mark.parametrize(
    "raw,digits",
    [
        ("+7 (912) 345-67.89", "79123456789"),
        ("1234567", "1234567"),
        (" 123456789012345 ", "123456789012345"),
        ("+49.30.1234567", "49301234567"),
    ],
)
def test_phone_numbers_are_normalized(raw: str, digits: str) -> None:
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize(
    "raw",
    [
        "123456",
        "1" * 16,
        "+",
        "7900/1234567",
        "\uff17\uff19\uff10\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
    ],
)
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="7-15 digits"):
        normalize_phone(raw)


async def test_unstorable_text_is_400_everywhere(
    client: Client, make_tenant: MakeTenant, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id)
    chat = await seed_chat(pg, session.id, "1@c.us")
    h = {**t.admin.headers, "Content-Type": "application/json"}
    base = f"/api/whatsapp/sessions/{session.id}"
    cases: list[tuple[str, str, bytes | None, str]] = [
        ("POST", "/api/whatsapp/sessions", b'{"name": "a\\u0000b"}', "name"),
        ("POST", "/api/whatsapp/sessions", b'{"name": "a\\ud800b"}', "name"),
        ("POST", f"{base}/chats/{chat.id}/send", b'{"message": "a\\u0000"}', "message"),
        ("POST", f"{base}/chats/{chat.id}/send", b'{"message": "\\udfff"}', "message"),
        (
            "POST",
            f"{base}/chats/{chat.id}/send",
            b'{"message": "ok", "clientMessageId": "a\\u0000"}',
            "clientMessageId",
        ),
        ("GET", f"{base}/chats?search=a%00b", None, "search"),
    ]
    for method, path, body, field in cases:
        resp = await client.request(method, path, data=body, headers=h)
        assert resp.status == 400, (path, body, resp.status)
        details = (await resp.json())["error"]["details"]
        assert details[0]["field"] in (field, "body"), (path, details)
    # undecodable percent-escapes are replaced while the query is parsed: harmless
    lone = await client.get(f"{base}/chats?search=%ED%A0%80", headers=h)
    assert lone.status == 200
    operator = await make_user("operator")
    resp = await client.post("/api/ops/workers/w%00x/restart", headers=operator.headers)
    assert resp.status == 400
    assert (await resp.json())["error"]["details"][0]["field"] == "workerId"
