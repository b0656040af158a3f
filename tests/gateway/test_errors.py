"""The error envelope: JSON 404/405, bad JSON, oversized bodies, request ids, no bare 500s."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from shared.settings import Settings

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
