"""A real nginx (the repo's config, rendered by render-local.sh) in front of two real gateways."""

from __future__ import annotations

import json
import re
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from psycopg_pool import AsyncConnectionPool

from tests.conftest import MakeCompany, MakeUser
from tests.infra.conftest import Gateway
from tests.support.nginx import Nginx, free_port, render, self_signed_cert, start_nginx
from tests.support.sockets import SocketProbe
from tests.support.wa import seed_chat, seed_session

ORIGIN = "https://dashboard.example.test"


async def _get(url: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http, http.get(url, **kwargs) as resp:
        return resp.status, dict(resp.headers), await resp.read()


def _security_headers(headers: dict[str, str], port: int) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert f"connect-src 'self' ws://127.0.0.1:{port} wss://127.0.0.1:{port}" in csp
    assert "frame-ancestors 'none'" in csp


async def test_health_is_200_json_with_cors_and_security_headers(nginx: Nginx) -> None:
    status, headers, body = await _get(f"{nginx.url}/health", headers={"Origin": ORIGIN})
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["status"] in {"ok", "degraded"}
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Request-ID" in headers["Access-Control-Expose-Headers"]
    _security_headers(headers, nginx.port)
    assert "Strict-Transport-Security" not in headers  # plain HTTP


async def test_health_preflight_is_204_with_cors_headers(
    nginx: Nginx, gateways: list[Gateway]
) -> None:
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.options(f"{nginx.url}/health", headers=preflight) as resp,
    ):
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in resp.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
        assert resp.headers["Access-Control-Max-Age"] == "86400"
        assert await resp.read() == b""
    # answered by nginx itself: no gateway saw the preflight
    assert not any(hit.path == "/health" for gw in gateways for hit in gw.hits)


async def test_requests_reach_both_gateways_with_client_address(
    nginx: Nginx, gateways: list[Gateway]
) -> None:
    for _ in range(8):
        status, _, _ = await _get(f"{nginx.url}/health", headers={"X-Real-IP": "6.6.6.6"})
        assert status == 200
    assert all(gw.hits for gw in gateways), [len(gw.hits) for gw in gateways]
    hits = [hit for gw in gateways for hit in gw.hits]
    # X-Real-IP is nginx's view of the peer, never what the client claimed
    assert {hit.real_ip for hit in hits} == {"127.0.0.1"}
    assert all(hit.forwarded_for and hit.forwarded_for.endswith("127.0.0.1") for hit in hits)
    assert all(hit.request_id and re.fullmatch(r"[0-9a-f]{32}", hit.request_id) for hit in hits)


async def test_login_through_nginx(
    nginx: Nginx, make_company: MakeCompany, make_user: MakeUser
) -> None:
    company = await make_company()
    admin = await make_user("admin", company)
    credentials = {"email": admin.user.email, "password": admin.password}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{nginx.url}/api/auth/login", json=credentials) as resp:
            assert resp.status == 200, await resp.text()
            data = (await resp.json())["data"]
            generated = resp.headers["X-Request-ID"]
            assert resp.headers["Cache-Control"] == "no-store"
            _security_headers(dict(resp.headers), nginx.port)
        # the id nginx made up is the one the gateway answered with, and it is in nginx's log
        assert re.fullmatch(r"[0-9a-f]{32}", generated)
        assert nginx.logged(f"rid={generated}"), nginx.access_log()[-2000:]

        headers = {"Authorization": f"Bearer {data['token']}", "X-Request-ID": "infra-test-42"}
        async with http.get(f"{nginx.url}/api/auth/me", headers=headers) as resp:
            assert resp.status == 200
            assert resp.headers["X-Request-ID"] == "infra-test-42"
            assert (await resp.json())["data"]["user"]["email"] == admin.user.email


async def test_unknown_api_route_is_json_404(nginx: Nginx) -> None:
    status, headers, body = await _get(f"{nginx.url}/api/no/such/route")
    assert status == 404
    payload = json.loads(body)
    assert payload["success"] is False
    assert headers["X-Request-ID"] == payload["requestId"]


async def test_metrics_from_loopback(nginx: Nginx) -> None:
    status, headers, body = await _get(f"{nginx.url}/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain")
    assert b"# TYPE" in body


async def test_media_up_and_down_through_nginx(
    nginx: Nginx, make_company: MakeCompany, make_user: MakeUser, pg: AsyncConnectionPool
) -> None:
    """send-media takes files far above the API's body limit (streamed to a gateway); the file
    comes back in ranges, privately cacheable; past the media limit nginx answers 413 JSON."""
    company = await make_company()
    admin = await make_user("admin", company)
    session = await seed_session(pg, company.id, state="ready")
    chat = await seed_chat(pg, session.id, "79001234567@c.us")
    url = f"{nginx.url}/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send-media"
    data = bytes(range(256)) * 8192  # 2 MiB
    form = aiohttp.FormData()
    form.add_field("file", data, filename="big.pdf", content_type="application/pdf")
    async with aiohttp.ClientSession(headers=admin.headers) as http:
        async with http.post(url, data=form) as resp:
            assert resp.status == 202, await resp.text()
            media_url = (await resp.json())["data"]["message"]["media"]["url"]
        async with http.get(nginx.url + media_url, headers={"Range": "bytes=1000-1999"}) as resp:
            assert resp.status == 206
            assert await resp.read() == data[1000:2000]
            assert resp.headers["Content-Range"] == f"bytes 1000-1999/{len(data)}"
            assert resp.headers["Cache-Control"] == "private, no-cache"
            _security_headers(dict(resp.headers), nginx.port)
        huge = aiohttp.FormData()
        huge.add_field("file", b"\0" * (18 * 1024 * 1024), filename="x.pdf")
        async with http.post(url, data=huge) as resp:
            assert resp.status == 413
            assert (await resp.json(content_type=None))["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("size", [280 * 1024, 1024 * 1024])
async def test_body_over_the_limit_is_413_json(nginx: Nginx, size: int) -> None:
    # 280 KiB: past the gateway's 256 KiB limit (its 413); 1 MiB: stopped by nginx (its 413)
    body = b'{"email":"' + b"a" * size + b'"}'
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{nginx.url}/api/auth/login",
            data=body,
            headers={"Content-Type": "application/json"},
        ) as resp,
    ):
        assert resp.status == 413
        payload = await resp.json(content_type=None)
        assert payload["success"] is False
        assert resp.headers["X-Request-ID"]


async def test_socketio_connects_through_nginx(
    nginx: Nginx, make_company: MakeCompany, make_user: MakeUser
) -> None:
    company = await make_company()
    admin = await make_user("admin", company)
    probe = SocketProbe()
    try:
        assert await probe.connect(nginx.url, admin.token), probe.refused
        confirmed = await probe.wait_for("connection-confirmed")
        assert confirmed[0]["userId"] == str(admin.id)
    finally:
        await probe.disconnect()
    assert nginx.logged("GET /socket.io/?"), nginx.access_log()[-2000:]


async def test_socketio_refusal_reason_passes_through(nginx: Nginx) -> None:
    probe = SocketProbe()
    try:
        assert not await probe.connect(nginx.url, "not-a-token")
    finally:
        await probe.disconnect()
    assert probe.refused is not None


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/", "no-cache"),
        ("/sw.js", "no-cache"),
        ("/manifest.webmanifest", "no-cache"),
        ("/static/js/app.js", "public, max-age=300"),
        ("/vendor/socket.io.min.js", "public, max-age=3600"),
        ("/whatsapp/status", "no-store"),
    ],
)
async def test_dashboard_cache_headers(nginx: Nginx, path: str, cache_control: str) -> None:
    # whatever the gateway answers (the dashboard may not be wired in yet), nginx sets the policy
    status, headers, _ = await _get(f"{nginx.url}{path}")
    assert status < 500
    assert headers["Cache-Control"] == cache_control
    _security_headers(headers, nginx.port)


async def test_gzip_for_text(nginx: Nginx) -> None:
    status, headers, _ = await _get(
        f"{nginx.url}/api/openapi.json", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"


async def test_no_gateway_health_still_200_api_json_502(nginx_bin: str, prefix: Path) -> None:
    dead = [free_port(), free_port()]  # nothing listens there
    proc = start_nginx(nginx_bin, prefix, dead)
    try:
        status, headers, body = await _get(f"{proc.url}/health")
        assert status == 200
        assert json.loads(body)["status"] == "down"
        assert headers["Access-Control-Allow-Origin"] == "*"

        status, headers, body = await _get(f"{proc.url}/api/auth/me")
        assert status == 502
        payload = json.loads(body)
        assert payload["success"] is False
        assert payload["error"]["code"] == "gateway_unavailable"
        assert headers["X-Request-ID"] == payload["requestId"]
    finally:
        proc.stop()
    assert proc.leftovers() == []


async def test_tls_variant_serves_https_and_redirects_http(
    nginx_bin: str, prefix: Path, gateways: list[Gateway]
) -> None:
    certs = prefix / "certs"
    self_signed_cert(certs)
    http_port, https_port = free_port(), free_port()
    conf = render(
        prefix, http_port, [gw.port for gw in gateways], cert_dir=certs, https_port=https_port
    )
    proc = Nginx(nginx_bin, prefix, conf, https_port)
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    try:
        status, headers, body = await _get(f"https://127.0.0.1:{https_port}/health", ssl=insecure)
        assert status == 200
        assert json.loads(body)["status"] in {"ok", "degraded"}
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        status, headers, _ = await _get(
            f"http://127.0.0.1:{http_port}/health", allow_redirects=False
        )
        assert status == 301
        assert headers["Location"] == f"https://127.0.0.1:{https_port}/health"
    finally:
        proc.stop()
    assert proc.leftovers() == []


async def test_acme_challenge_is_served_from_the_webroot(nginx: Nginx, prefix: Path) -> None:
    challenge = prefix / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token-123").write_text("token-123.thumbprint")
    challenge.parent.chmod(0o755)
    challenge.chmod(0o755)
    status, _, body = await _get(f"{nginx.url}/.well-known/acme-challenge/token-123")
    assert (status, body) == (200, b"token-123.thumbprint")
    status, _, _ = await _get(f"{nginx.url}/.well-known/acme-challenge/absent")
    assert status == 404


async def test_socketio_polling_sticks_to_one_gateway(
    nginx: Nginx,
    gateways: list[Gateway],
    make_company: MakeCompany,
    make_user: MakeUser,
) -> None:
    """Engine.IO polling keeps its session in one process: every request of it must reach the
    gateway that made it (ip_hash), or the later polls fail with "Invalid session"."""
    company = await make_company()
    admin = await make_user("admin", company)
    base = f"{nginx.url}/socket.io/?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as resp:
            assert resp.status == 200
            opened = await resp.text()
        assert opened.startswith("0")
        sid = json.loads(opened[1:])["sid"]
        url = f"{base}&sid={sid}"
        auth = "40/whatsapp," + json.dumps({"token": admin.token})
        async with http.post(url, data=auth) as resp:
            assert resp.status == 200, await resp.text()
        received = ""
        for _ in range(10):
            async with http.get(url) as resp:
                assert resp.status == 200, await resp.text()
                received += await resp.text()
            if "connection-confirmed" in received:
                break
        assert '42/whatsapp,["connection-confirmed"' in received
        async with http.post(url, data="1") as resp:  # close packet
            assert resp.status == 200
    serving = [gw for gw in gateways if any(h.path == "/socket.io/" for h in gw.hits)]
    assert len(serving) == 1
