"""The OpenAPI document: covers every registered route, matches the declarations, and survives a
bounded property-based run (schemathesis, positive and negative data): never a 5xx."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import requests
import schemathesis
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from psycopg_pool import AsyncConnectionPool
from schemathesis.core.result import Ok

from gateway.app import all_endpoints
from gateway.web.routes import PATHS as DASHBOARD_PATHS
from tests.conftest import Account, MakeUser
from tests.gateway.conftest import MakeTenant
from tests.support.wa import QR_REF, grant, seed_chat, seed_messages, seed_session

Client = TestClient[Any, Any]
EXAMPLES = 12
SKIPPED_ROUTES = ("/api/{tail", "/socket.io")  # the JSON 404 catch-all; Socket.IO's transport


async def _spec(client: Client) -> dict[str, Any]:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    spec: dict[str, Any] = await resp.json()
    return spec


def _registered(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path")
        if (
            not path
            or route.method in ("HEAD", "OPTIONS")
            or path.startswith(SKIPPED_ROUTES)
            or path in DASHBOARD_PATHS  # the dashboard's static files are not API
        ):
            continue
        if "directory" in info:  # static files
            continue
        found.add((route.method.lower(), str(path)))
    return found


async def test_every_registered_route_is_in_the_spec(client: Client) -> None:
    spec = await _spec(client)
    assert spec["openapi"].startswith("3.1")
    documented = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    missing = _registered(client.app) - documented
    assert not missing, f"routes missing from /api/openapi.json: {sorted(missing)}"
    assert documented == {(ep.method.lower(), ep.path) for ep in all_endpoints()}


async def test_2026_page_additions_are_documented(client: Client) -> None:
    spec = await _spec(client)
    paths = spec["paths"]
    chat_param = next(
        p
        for p in paths["/api/whatsapp/sessions/{id}/chats/{chatId}/messages"]["get"]["parameters"]
        if p["name"] == "chatId"
    )
    patterns = [s.get("pattern") or s.get("format") for s in chat_param["schema"]["anyOf"]]
    assert patterns[0] == "uuid" and re.fullmatch(patterns[1], "79035556677@s.whatsapp.net")
    pairing = paths["/api/whatsapp/sessions/{id}/pairing-code"]["post"]
    assert {"200", "400", "404", "409", "504"} <= set(pairing["responses"])
    assert pairing["x-roles"] == ["admin"]
    create = paths["/api/whatsapp/sessions"]["post"]
    assert create["requestBody"]["required"] is False
    schemas = spec["components"]["schemas"]
    assert "unconfirmed" in schemas["MessagePayload"]["properties"]["status"]["enum"]
    assert "unconfirmed" in schemas["SendOut"]["properties"]["status"]["enum"]
    session = schemas["SessionOut"]["properties"]
    assert session["pageDrift"]["additionalProperties"]["$ref"].endswith("/DriftOut")
    ops = schemas["OpsSessionOut"]["properties"]["pageDrift"]
    assert ops["additionalProperties"] == {"type": "integer"}
    chat = schemas["ChatPayload"]["properties"]
    assert {"phoneJid", "lid"} <= set(chat)


async def test_operations_carry_roles_security_and_models(client: Client) -> None:
    spec = await _spec(client)
    for ep in all_endpoints():
        op = spec["paths"][ep.path][ep.method.lower()]
        if ep.roles is None:
            assert op["security"] == []
        elif ep.scope is None:
            assert op["security"] == [{"bearerAuth": []}] and "x-api-key-scope" not in op
        else:
            assert op["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
            assert (op["x-api-key-scope"], op["x-company-wide"]) == (ep.scope, ep.company_wide)
        params = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert params == set(re.findall(r"\{(\w+)\}", ep.path))
        assert str(ep.status) in op["responses"]
        if ep.body is not None:
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"]
    send = spec["paths"]["/api/whatsapp/sessions/{id}/chats/{chatId}/send"]["post"]
    assert {p["name"] for p in send["parameters"] if p["in"] == "query"} == {"wait"}
    body = spec["components"]["schemas"]["SendBody"]["properties"]["message"]
    assert body["maxLength"] == 4096
    assert "404" in spec["info"]["description"] and "canRead" in spec["info"]["description"]


def _check_operation(
    strategy: Any, base_url: str, http: requests.Session, headers: dict[str, str]
) -> int:
    """Run one operation's strategy; every answer must be < 500 and match the documented
    response schema. Returns how many requests were made."""
    calls = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure reproduces
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal calls
        response = case.call(base_url=base_url, session=http, headers=headers, timeout=15)
        calls += 1
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"
            f" -> {response.status_code} {response.text[:500]}"
        )
        case.validate_response(response, checks=[schemathesis.checks.response_schema_conformance])

    run()
    return calls


def _fuzz(spec: dict[str, Any], base_url: str, tokens: dict[str, str], ids: dict[str, str]) -> int:
    """Blocking: runs in a thread while the app serves on the test's event loop."""
    schema = schemathesis.openapi.from_dict(spec)
    http = requests.Session()
    calls = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        method = operation.method.upper()
        roles = operation.definition.raw.get("x-roles") or ["admin"]
        headers = {"Authorization": f"Bearer {tokens['admin' if 'admin' in roles else roles[0]]}"}
        # the seeded ids, so that bodies and queries reach real rows (except for deletes)
        fixed = {k: v for k, v in ids.items() if "{" + k + "}" in operation.path}
        if method == "DELETE":
            fixed = {}
        if operation.path.endswith("/pairing-code"):
            # a linked session answers at once (409): no worker here would ever bring a code,
            # and sitting out the wait ends in a 504 by design
            fixed["id"] = ids["linkedId"]
        sends = method == "POST" and operation.path.endswith(("/send", "/messages", "/send-media"))
        query = {"wait": 0} if sends else None  # never sit out a ?wait on a pending send
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=fixed or None, query=query)
            try:
                calls += _check_operation(strategy, base_url, http, headers)
            except Unsatisfiable:
                # nothing to make invalid (no parameters, no body): positive data covers it
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.path
    return calls


async def test_property_based_run_never_answers_5xx(
    client: Client, make_tenant: MakeTenant, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    operator: Account = await make_user("operator")
    session = await seed_session(pg, t.company.id, state="qr", qr=QR_REF)
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann", unread=2)
    await seed_messages(pg, session.id, chat.id, 5)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    linked = await seed_session(pg, t.company.id, name="linked", state="ready")
    spec = await _spec(client)
    tokens = {"admin": t.admin.token, "manager": t.manager.token, "operator": operator.token}
    ids = {
        "id": str(session.id),
        "chatId": str(chat.id),
        "managerId": str(t.manager.id),
        "linkedId": str(linked.id),
    }
    base_url = f"http://{client.host}:{client.port}"
    calls = await asyncio.to_thread(_fuzz, spec, base_url, tokens, ids)
    assert calls >= 300
