"""A property-based attack on every route of the OpenAPI document: hostile strings (NUL, lone
surrogates, control and invisible characters, 10 k characters, path traversal, injections) in
path ids, query strings, JSON bodies and headers; hostile numbers; raw bodies that are not JSON
or nest too deep; and forged tokens (a valid signature with a huge ``exp``, ``alg: none``, wrong
claims, other secrets). Every answer is below 500, and every error is the JSON envelope.

Runs with a fixed seed (a failure reproduces) and a bounded number of cases per route, so it
stays within a few seconds.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import requests
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from yarl import URL

from gateway.app import all_endpoints, create_app
from gateway.routing import Endpoint
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser
from tests.support.gateways import GatewayTestServer, wait_until_listening
from tests.support.world import World, call_for, seed_world

Client = TestClient[Any, Any]
CASES_PER_ROUTE = 15
BATCH = 25  # requests in flight at once

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u200b",
    "\u202eevil",
    "\x1b[31mred",
    "line\r\nInjected: yes",
    "\x7f\x85\u2028",
    "\ufeff",
    "../../../../etc/passwd",
    "..\\..\\windows",
    "%00",
    "%2e%2e%2f",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "a" * 10_000,
    "\U0001f600" * 300,
    "null",
    "-1",
    "1e999",
    "NaN",
    "00000000-0000-0000-0000-000000000000",
]
HOSTILE_NUMBERS: list[Any] = [0, -1, 2**31, 2**63, -(2**63), 10**30, 1e308, -1e308, 0.5, True]


def _all_chars() -> st.SearchStrategy[str]:
    # every code point, surrogates and controls included
    return st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()))


TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), _all_chars().map(lambda s: s[:60]))
SCALAR = st.one_of(TEXT, st.sampled_from(HOSTILE_NUMBERS), st.none(), st.booleans())
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
# header values travel as latin-1 without CR/LF (anything else cannot be sent as a header)
HEADER_TEXT = st.one_of(
    st.sampled_from(["", "x" * 9000, "\x80\xff", "1.2.3.4, ::1, garbage", "unknown", "../"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
            max_size=40),
)  # fmt: skip


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(secret: str, payload: str, header: str = '{"alg":"HS256","typ":"JWT"}') -> str:
    """A JWT over any payload text (even JSON that json.dumps would never write)."""
    signing = f"{_b64(header.encode())}.{_b64(payload.encode())}"
    sig = hmac.new(secret.encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(sig)}"


def forged_tokens(secret: str, world: World) -> list[str]:
    now = int(time.time())
    sub = str(world.admin.id)
    cid = str(world.admin.user.company_id)

    def claims(**over: Any) -> str:
        base = {"sub": sub, "cid": cid, "role": "admin", "iat": now, "exp": now + 60,
                "iss": "wagateway"}  # fmt: skip
        base.update(over)
        return json.dumps(base)

    return [
        _signed(secret, claims(exp=10**30)),
        _signed(secret, claims(exp=1e308)),
        _signed(secret, claims().replace(str(now + 60), "1e999")),
        _signed(secret, claims().replace(str(now + 60), "NaN")),
        _signed(secret, claims(exp="tomorrow")),
        _signed(secret, claims(exp=True)),
        _signed(secret, claims(exp=-1)),
        _signed(secret, claims(iat=10**30)),
        _signed(secret, claims(sub="not-a-uuid")),
        _signed(secret, claims(sub=str(uuid.uuid4()))),
        _signed(secret, claims(role="root")),
        _signed(secret, claims(role=None)),
        _signed(secret, claims(role="operator", cid=None)),
        _signed(secret, claims(cid="not-a-uuid")),
        _signed(secret, claims(cid=str(uuid.uuid4()))),
        _signed(secret, claims(iss="someone-else")),
        _signed(secret, json.dumps([1, 2, 3])),
        _signed(secret, "not json"),
        _signed(secret, claims(), header='{"alg":"none"}').rsplit(".", 1)[0] + ".",
        _signed(secret, claims(), header='{"alg":"HS512"}'),
        _signed(secret, claims(), header='{"alg":"RS256","kid":"../../x"}'),
        _signed("another-secret-entirely-of-32-chars!", claims()),
        "a.b.c",
        "x" * 5000,
        world.admin.token + "x",
    ]


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
]
RAW_BODIES = [
    b"",
    b"{",
    b"\xff\xfe{}",
    b"[" * 5000 + b"]" * 5000,  # nesting deeper than any parser recursion
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b"\x00" * 100,
    b'{"message": "' + b"a" * 300_000 + b'"}',  # over the body limit
    b'{"message": "\\ud800", "to": "\\udfff"}',  # lone surrogates as JSON escapes
]


def _raw_json(value: Any) -> bytes:
    """JSON as a client may send it: any text, lone surrogates written out as UTF-8 bytes."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Attack:
    method: str
    url: str
    headers: dict[str, bytes]
    body: bytes | None


def _weighted(*options: tuple[st.SearchStrategy[Any], int]) -> st.SearchStrategy[Any]:
    """``one_of`` with rough weights (a strategy listed n times is drawn n times as often)."""
    return st.one_of(*[strategy for strategy, n in options for _ in range(n)])


def _segment(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def attacks(draw: st.DrawFn, ep: Endpoint, base: str, world: World, tokens: list[str]) -> Attack:
    path = ep.path
    for param in [p.strip("{}") for p in path.split("/") if p.startswith("{")]:
        value = draw(st.one_of(st.just(world.ids.get(param, "")), st.just(str(uuid.uuid4())), TEXT))
        path = path.replace("{" + param + "}", _segment(value) or "x")
    query_keys = list(ep.query.model_fields) if ep.query is not None else []
    names = st.one_of(st.sampled_from([*query_keys, "page", "limit", "x"]), TEXT)
    values = st.one_of(TEXT, st.sampled_from(HOSTILE_NUMBERS).map(str))
    pairs = draw(st.lists(st.tuples(names, values), max_size=4))
    query = "&".join(f"{_segment(k)}={_segment(v)}" for k, v in pairs)
    real = st.sampled_from([world.admin.token, world.manager.token, world.operator.token])
    auth = draw(_weighted((real, 5), (st.sampled_from(tokens), 3), (HEADER_TEXT, 2)))
    scheme = draw(
        _weighted((st.just("Bearer "), 7), (st.sampled_from(["bearer ", "", "Basic "]), 3))
    )
    content_type = _weighted((st.just("application/json"), 8), (st.sampled_from(CONTENT_TYPES), 2))
    headers = {"Authorization": scheme + auth, "Content-Type": draw(content_type)}
    for name in ("X-Request-ID", "X-Forwarded-For", "X-Real-IP", "Origin", "Accept-Language"):
        if draw(st.booleans()):
            headers[name] = draw(HEADER_TEXT)
    # raw latin-1 bytes on the wire; a value cannot start with whitespace (it would be folded)
    raw_headers = {k: v.encode("latin-1").lstrip(b" \t") for k, v in headers.items()}
    body: bytes | None = None
    if ep.method in ("POST", "PATCH", "DELETE"):
        fields = ep.body.model_fields if ep.body is not None else {}
        aliases = [info.alias or name for name, info in fields.items()] or ["x"]
        shaped = st.dictionaries(st.one_of(st.sampled_from(aliases), TEXT), VALUE, max_size=5)
        # a valid body with one field made hostile reaches deepest (past the other checks)
        valid = call_for(ep, world).json or {}
        one_bad = st.builds(
            lambda key, value: _raw_json({**valid, key: value}),
            st.sampled_from(aliases),
            st.one_of(TEXT, VALUE),
        )
        body = draw(
            _weighted(
                (one_bad, 5),
                (shaped.map(_raw_json), 2),
                (VALUE.map(_raw_json), 1),
                (st.sampled_from(RAW_BODIES), 2),
            )
        )
    url = f"{base}{path}" + (f"?{query}" if query else "")
    return Attack(ep.method, url, raw_headers, body)


def _check(http: requests.Session, attack: Attack) -> None:
    resp = http.request(
        attack.method, attack.url, headers=attack.headers, data=attack.body, timeout=15
    )
    where = f"{attack.method} {attack.url[:200]} body={(attack.body or b'')[:200]!r}"
    assert resp.status_code < 500, f"{where} -> {resp.status_code} {resp.text[:300]}"
    if resp.status_code >= 400:
        assert resp.headers.get("Content-Type", "").startswith("application/json"), (
            f"{where} -> {resp.status_code} {resp.headers.get('Content-Type')} {resp.text[:200]}"
        )
        envelope = resp.json()
        assert envelope["success"] is False and envelope["error"]["code"], where


def _run(base: str, world: World, tokens: list[str]) -> int:
    http = requests.Session()
    sent = 0
    # deletes last: they may remove the seeded rows the other routes aim at
    for ep in sorted(all_endpoints(), key=lambda e: e.method == "DELETE"):

        @settings(
            max_examples=CASES_PER_ROUTE,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(attack=attacks(ep, base, world, tokens))
        def route(attack: Attack) -> None:
            nonlocal sent
            _check(http, attack)
            sent += 1

        route()
    return sent


@pytest.fixture
async def fuzz_client(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[Client]:
    """The gateway as it runs, with login limits high enough that hostile logins reach the
    database instead of stopping at 429 (the limits have their own tests)."""
    loose = settings.model_copy(
        update={"login_attempts": 10_000, "login_attempts_per_address": 10_000}
    )
    async with TestClient(GatewayTestServer(create_app(loose))) as c:
        await wait_until_listening(c.app)
        yield c


@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # percent-encoded
    body: bytes | None
    token: str


def _params(ep: Endpoint) -> list[str]:
    return [p.strip("{}") for p in ep.path.split("/") if p.startswith("{")]


def _with(ep: Endpoint, world: World, **override: str) -> str:
    """The endpoint's path with the seeded ids, some replaced by (encoded) hostile text."""
    path = call_for(ep, world).path
    for param, value in override.items():
        seeded = (
            world.ids["managerId"] if ep.path.startswith("/api/managers/") else world.ids[param]
        )
        path = path.replace(seeded, _segment(value) or "x", 1)
    return path


def matrix(world: World, tokens: list[str]) -> list[Probe]:
    """Every hostile value in every path id, query parameter and body field of every route (the
    rest of the request valid), and every forged token on every route."""
    probes: list[Probe] = []
    values: list[Any] = [*HOSTILE_TEXT, *HOSTILE_NUMBERS, None, [], {}, ["a"], {"a": 1}]
    for ep in sorted(all_endpoints(), key=lambda e: e.method == "DELETE"):
        valid = call_for(ep, world)
        token = world.token_for(ep) or world.admin.token
        body = _raw_json(valid.json) if valid.json is not None else None
        for param in _params(ep):
            for text in HOSTILE_TEXT:
                probes.append(Probe(ep.method, _with(ep, world, **{param: text}), body, token))
        for key in ep.query.model_fields if ep.query is not None else ():
            for value in [*HOSTILE_TEXT, *map(str, HOSTILE_NUMBERS)]:
                path = f"{valid.path}?{key}={_segment(value)}"
                probes.append(Probe(ep.method, path, body, token))
        for name, info in (ep.body.model_fields if ep.body is not None else {}).items():
            for value in values:
                hostile = _raw_json({**(valid.json or {}), info.alias or name: value})
                probes.append(Probe(ep.method, valid.path, hostile, token))
        for forged in tokens:
            probes.append(Probe(ep.method, valid.path, body, forged))
    return probes


async def _send(http: aiohttp.ClientSession, base: str, probe: Probe) -> str | None:
    """None when the answer is acceptable, else what was wrong."""
    headers = {"Authorization": f"Bearer {probe.token}", "Content-Type": "application/json"}
    async with http.request(
        probe.method, URL(base + probe.path, encoded=True), data=probe.body, headers=headers
    ) as resp:
        text = await resp.text(errors="replace")
        where = f"{probe.method} {probe.path[:150]} body={(probe.body or b'')[:150]!r}"
        if resp.status >= 500:
            return f"{where} -> {resp.status} {text[:300]}"
        if resp.status >= 400 and resp.content_type != "application/json":
            return f"{where} -> {resp.status} {resp.content_type} {text[:200]}"
    return None


async def test_every_hostile_value_in_every_field_of_every_route(
    fuzz_client: Client,
    settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    world = await seed_world(pg, redis, make_company, make_user)
    probes = matrix(world, forged_tokens(settings.jwt_secret, world))
    base = f"http://{fuzz_client.host}:{fuzz_client.port}"
    wrong: list[str] = []
    async with aiohttp.ClientSession() as http:
        for i in range(0, len(probes), BATCH):
            found = await asyncio.gather(*(_send(http, base, p) for p in probes[i : i + BATCH]))
            wrong.extend(w for w in found if w)
    assert not wrong, f"{len(wrong)} of {len(probes)} answers were wrong:\n" + "\n".join(wrong[:10])
    assert len(probes) > 2000


async def test_property_based_attack_on_every_route(
    fuzz_client: Client,
    settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    world = await seed_world(pg, redis, make_company, make_user)
    tokens = forged_tokens(settings.jwt_secret, world)
    base = f"http://{fuzz_client.host}:{fuzz_client.port}"
    sent = await asyncio.to_thread(_run, base, world, tokens)
    assert sent >= CASES_PER_ROUTE * len(all_endpoints()) * 0.9
