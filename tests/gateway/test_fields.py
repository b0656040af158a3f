"""Input fields: phone normalization; one text rule on every request string (NUL, lone
surrogates, control characters, invisible-only names refused as 400 naming the field wherever
they can enter, never a 500)."""

from __future__ import annotations

from typing import Annotated, Any, get_args, get_origin

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from pydantic import AfterValidator

from gateway.app import all_endpoints
from gateway.fields import TextRule, normalize_phone
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


def _string_leaves(annotation: Any) -> list[Any]:
    """The ``str`` parts of a field's annotation, each with its Annotated metadata."""
    if annotation is str:
        return [()]
    if get_origin(annotation) is Annotated:
        inner, *meta = get_args(annotation)
        return [(*meta, *rest) for rest in _string_leaves(inner)]
    return [leaf for arg in get_args(annotation) for leaf in _string_leaves(arg)]


def test_every_string_of_every_request_model_goes_through_the_text_rule() -> None:
    models = {m for ep in all_endpoints() for m in (ep.body, ep.query) if m is not None}
    checked = 0
    for model in models:
        for name, info in model.model_fields.items():
            for meta in _string_leaves(info.rebuild_annotation()):
                rules = [m for m in meta if isinstance(m, AfterValidator)]
                assert any(isinstance(r.func, TextRule) for r in rules), f"{model.__name__}.{name}"
                checked += 1
    assert checked >= 9


@pytest.mark.parametrize(
    "value,message",
    [
        ("\u200b", "invisible"),  # a lone zero-width space
        ("\u200b\u200c\ufeff", "invisible"),
        ("\u3164", "invisible"),  # a Hangul filler renders blank
        ("\u2800\u2800", "invisible"),
        ("\u0301", "invisible"),  # a combining mark alone
        ("a\x07b", "control"),
        ("tab\there", "control"),
        ("new\nline", "control"),
        ("a\u2028b", "separators"),
        ("\u202egnp.exe", "direction"),
        ("a\x00b", "NUL"),
        ("a\ud800", "Unicode"),
    ],
)
def test_names_refuse_invisible_and_control_text(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TextRule(multiline=False, need_visible=True)(value)


@pytest.mark.parametrize("value", ["Sales", "Продажи", "销售", "👩‍💻 Team", "Ünïcödé", "a b"])
def test_names_accept_real_names(value: str) -> None:
    assert TextRule(multiline=False, need_visible=True)(value) == value


def test_messages_keep_newlines_tabs_and_direction_marks() -> None:
    text = "line one\nline\ttwo\r\n\u202b\u05e9\u05dc\u05d5\u05dd\u202c"
    assert TextRule(multiline=True, need_visible=True)(text) == text
    with pytest.raises(ValueError, match="control"):
        TextRule(multiline=True, need_visible=True)("bell\x07")


async def test_a_lone_zero_width_space_is_no_session_name(
    client: Client, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    for name in ("\u200b", " \u200b ", "\u202e", "a\u0007"):
        resp = await client.post(
            "/api/whatsapp/sessions", json={"name": name}, headers=t.admin.headers
        )
        assert resp.status == 400, name
        assert (await resp.json())["error"]["details"][0]["field"] == "name"


async def test_nul_in_login_and_manager_fields_is_400_not_500(
    client: Client, make_tenant: MakeTenant
) -> None:
    """Regressions: each of these reached Postgres and answered 500."""
    t = await make_tenant()
    login = await client.post("/api/auth/login", json={"email": "a\u0000@x.test", "password": "x"})
    assert login.status == 400
    assert (await login.json())["error"]["details"][0]["field"] == "email"
    for body, field in (
        ({"email": "m\u0000@x.test", "password": "long-enough"}, "email"),
        ({"email": "m@x.test", "password": "long-enough", "displayName": "M\u0000"}, "displayName"),
        ({"email": "m@x.test", "password": "long\u0000enough"}, "password"),
    ):
        resp = await client.post("/api/managers", json=body, headers=t.admin.headers)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["details"][0]["field"] == field
