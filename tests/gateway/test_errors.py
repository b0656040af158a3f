"""The error envelope: JSON 404/405, bad JSON, non-JSON content types, oversized bodies, request
ids, requests HTTP cannot parse, no bare 500s; API answers are never cached."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway import server
from shared.settings import Settings
from tests.conftest import MakeCompany, MakeUser

Client = TestClient[Any, Any]


async def test_unknown_api_route_is_json_404(client: Client) -> None:
    resp = await client.get("/api/nope")
    assert resp.status == 404
    body = await resp.json()
    assert body["success"] is False and body["error"]["code"] == "not_found"
    assert resp.headers["X-Request-ID"] == body["requestId"]


async def test_unknown_top_level_route_is_json_404(client: Client) -> None:
    resp = await client.get("/definitely/not/here")
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "not_found"


async def test_wrong_method_is_json_405(client: Client) -> None:
    resp = await client.delete("/api/auth/login")
    assert resp.status in (404, 405)
    resp = await client.put("/health")
    assert resp.status == 405
    assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_invalid_json_is_400(client: Client) -> None:
    for raw in (b"{not json", b"[1,2]", b'"text"', b"   "):
        resp = await client.post(
            "/api/auth/login", data=raw, headers={"Content-Type": "application/json"}
        )
        assert resp.status == 400, raw
        err = (await resp.json())["error"]
        assert err["details"][0]["field"] == "body", raw


async def test_oversized_body_is_413(client: Client, settings: Settings) -> None:
    big = b'{"email":"' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    resp = await client.post(
        "/api/auth/login", data=big, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "payload_too_large"


async def test_request_id_is_echoed(client: Client) -> None:
    resp = await client.get("/api/nope", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    assert (await resp.json())["requestId"] == "abc-123"


async def test_json_bodies_only_with_the_json_content_type(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    """A form or text/plain body is what a cross-site <form> can send without a preflight."""
    admin = await make_user("admin", await make_company())
    body = b'{"email": "%s", "password": "%s"}' % (
        admin.user.email.encode(),
        admin.password.encode(),
    )
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "", "application/xml"):
        resp = await client.post(
            "/api/auth/login", data=body, headers={"Content-Type": content_type}
        )
        assert resp.status == 415, content_type
        error = (await resp.json())["error"]
        assert error["code"] == "unsupported_media_type" and error["message"].startswith("body:")
    ok = await client.post(
        "/api/auth/login", data=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok.status == 200


async def test_api_answers_are_never_stored(
    client: Client, make_company: MakeCompany, make_user: MakeUser
) -> None:
    admin = await make_user("admin", await make_company())
    login = await client.post(
        "/api/auth/login", json={"email": admin.user.email, "password": admin.password}
    )
    assert login.status == 200 and login.headers["Cache-Control"] == "no-store"
    for path, status in (
        ("/api/auth/me", 200),
        ("/api/managers", 200),
        ("/api/nope", 404),
        ("/whatsapp/status", 200),
    ):
        resp = await client.get(path, headers=admin.headers)
        assert resp.status == status, path
        assert resp.headers["Cache-Control"] == "no-store", path
    assert (await client.get("/api/auth/me")).headers["Cache-Control"] == "no-store"  # 401


async def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)  # the server closes after a bad request
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


async def test_oversized_request_lines_and_headers_are_a_clean_json_400(
    client: Client, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of these once logged a full traceback (log flooding): now one line, at most one
    per interval with a count, and the answer is the JSON envelope."""
    monkeypatch.setattr(server, "PROTOCOL_LOG", server.ProtocolLog())  # a fresh interval
    port = client.port or 0
    big_header = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
    big_line = b"GET /health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    control = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n"
    with caplog.at_level(logging.WARNING):
        for request in (big_header, big_line, control, big_header):
            status, headers, body = await _raw(port, request)
            assert status == 400
            assert headers["Content-Type"].startswith("application/json")
            assert json.loads(body)["error"]["code"] == "bad_request"
    assert "Traceback" not in caplog.text
    lines = [r for r in caplog.records if "bad HTTP request" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in lines]  # the rest are counted, not logged
    assert lines[0].exc_info is None and len(lines[0].getMessage()) < 300
    assert (await client.get("/health")).status == 200  # the server is fine
