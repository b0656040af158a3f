"""Dashboard routes: index, static files, service worker, manifest, whitelisted vendor files, the
passkey signer extension built for the dashboard's host."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.web.routes import (
    NODE_MODULES,
    PATHS,
    SIGNER_DIR,
    SIGNER_FILES,
    STATIC_DIR,
    VENDOR_FILES,
)
from shared.media.kinds import _ACCEPTS, KINDS, accepts
from shared.settings import Settings

Client = TestClient[Any, Any]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/sw.js", "text/javascript"),
        ("/manifest.webmanifest", "application/manifest+json"),
        ("/static/js/app.js", "text/javascript"),
        ("/static/css/app.css", "text/css"),
        ("/static/icons/icon.svg", "image/svg+xml"),
        ("/static/icons/icon-192.png", "image/png"),
        ("/vendor/socket.io.min.js", "text/javascript"),
    ],
)
async def test_assets_are_served_with_type_and_revalidation(
    client: Client, path: str, content_type: str
) -> None:
    resp = await client.get(path)
    assert resp.status == 200, path
    assert resp.content_type == content_type
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    etag = resp.headers["ETag"]
    again = await client.get(path, headers={"If-None-Match": etag})
    assert again.status == 304


async def test_index_is_the_app_shell(client: Client) -> None:
    html = await (await client.get("/")).text()
    for needle in ('id="view"', 'src="/vendor/socket.io.min.js"', 'src="/static/js/app.js"'):
        assert needle in html
    assert 'rel="manifest" href="/manifest.webmanifest"' in html


async def test_manifest_points_at_served_icons(client: Client) -> None:
    manifest = json.loads(await (await client.get("/manifest.webmanifest")).text())
    assert manifest["scope"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        resp = await client.get(icon["src"])
        assert resp.status == 200 and resp.content_type == icon["type"], icon


async def test_vendor_file_is_the_npm_package_file(client: Client) -> None:
    body = await (await client.get("/vendor/socket.io.min.js")).read()
    assert body == (NODE_MODULES / VENDOR_FILES["socket.io.min.js"]).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/vendor/socket.io.js",  # in the package, not whitelisted
        "/vendor/package.json",
        "/vendor/..%2F..%2Fpyproject.toml",
        "/vendor/%2e%2e%2f%2e%2e%2fpyproject.toml",
        "/vendor/../../pyproject.toml",
        "/vendor/socket.io-client%2Fdist%2Fsocket.io.js",
        "/static/..%2F..%2F..%2Fpyproject.toml",
        "/static/%2e%2e/routes.py",
        "/static/../routes.py",
        "/static/js/nope.js",
        "/static/js",  # a directory
        "/index.html",
        "/static/%00",  # a NUL the file system would refuse (was a 500)
        "/static/js/%00app.js",
        "/static/" + "a" * 300,  # a name longer than the file system allows (was a 500)
        "/static/" + "/".join(["a" * 255] * 3),
        "/static/%E2%80%AE.js",
        "/static/....//....//pyproject.toml",
    ],
)
async def test_traversal_and_unknown_files_are_404(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 404, path
    assert resp.content_type == "application/json"


async def test_the_dashboard_carries_its_own_security_headers(client: Client) -> None:
    """Reached without nginx, the gateway protects the dashboard the same way nginx does."""
    for path in ("/", "/static/js/app.js", "/sw.js"):
        resp = await client.get(path)
        assert resp.status == 200
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_api_routes_still_answer_json(client: Client) -> None:
    resp = await client.get("/api/nope")
    assert resp.status == 404 and (await resp.json())["success"] is False
    assert (await client.get("/health")).status == 200


async def test_paths_name_exactly_the_dashboard_routes(client: Client) -> None:
    registered = {
        route.resource.canonical
        for route in client.app.router.routes()
        if route.resource is not None and route.handler.__module__ == "gateway.web.routes"
    }
    assert registered == PATHS


def _dictionary_keys(lang: str) -> list[str]:
    """Every key of a dictionary module (keys are quoted; several may share a line)."""
    text = (STATIC_DIR / "js" / "i18n" / f"{lang}.js").read_text()
    return re.findall(r'(?:^\s*|, )"([\w.]+)":', text, re.M)


def test_every_string_is_in_both_languages() -> None:
    en, ru = _dictionary_keys("en"), _dictionary_keys("ru")
    assert len(en) == len(set(en)) and len(ru) == len(set(ru)), "a key is defined twice"
    assert set(en) == set(ru)
    used = set()
    for path in (STATIC_DIR / "js").rglob("*.js"):
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", path.read_text(), flags=re.S)  # not comments
        used |= set(re.findall(r'\bt\("([\w.]+)"', code))
    used |= set(re.findall(r'data-i18n="([\w.]+)"', (STATIC_DIR / "index.html").read_text()))
    assert used and used - set(en) == set(), "strings used but missing from the dictionaries"


def test_the_dashboards_media_types_are_the_servers() -> None:
    """The types the reply box checks before an upload are those the gateway accepts per kind."""
    code = (STATIC_DIR / "js" / "mediainfo.js").read_text()
    table = re.search(r"export const ACCEPTS = \{(.*?)\n\};", code, re.S)
    assert table is not None
    found = {
        kind: sorted(re.findall(r'"([^"]+)"', types))
        for kind, types in re.findall(r"^\s*(\w+): \[(.*?)\],", table.group(1), re.M)
    }
    theirs = {m for types in _ACCEPTS.values() for m in types}
    mimes = sorted({m for types in found.values() for m in types} | theirs | {"application/pdf"})
    for kind in KINDS:
        accepted = sorted(m for m in mimes if accepts(kind, m))
        assert kind == "document" or found.get(kind) == accepted, kind
    assert set(found) == set(KINDS) - {"document"}  # a document may be any type
    max_mb = re.search(r"DEFAULT_MAX_BYTES = (\d+) \* 1024 \* 1024", code)
    assert max_mb is not None
    assert int(max_mb.group(1)) == Settings.model_fields["media_max_mb"].default


@pytest.mark.parametrize(
    ("host", "pattern"),
    [("wa.example.com:8443", "*://wa.example.com/*"), ("127.0.0.1", "*://127.0.0.1/*")],
)
async def test_the_signer_extension_is_built_for_the_dashboards_host(
    client: Client, host: str, pattern: str
) -> None:
    resp = await client.get("/signer-extension.zip", headers={"Host": host})
    assert resp.status == 200
    assert resp.content_type == "application/zip"
    assert "attachment" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(await resp.read())) as archive:
        assert sorted(archive.namelist()) == sorted(SIGNER_FILES)
        manifest = json.loads(archive.read("manifest.json"))
        for name in SIGNER_FILES[1:]:
            assert archive.read(name) == (SIGNER_DIR / name).read_bytes()
    dashboard, whatsapp = manifest["content_scripts"]
    assert dashboard["matches"] == [pattern] and dashboard["js"] == ["dashboard.js"]
    assert whatsapp["matches"] == ["https://web.whatsapp.com/*"]
    # nothing beyond the two content scripts: no permissions, no host permissions
    assert "permissions" not in manifest and "host_permissions" not in manifest
    assert manifest["manifest_version"] == 3
    assert manifest["browser_specific_settings"]["gecko"]["id"]


async def test_the_signer_extension_needs_a_host_name(client: Client) -> None:
    resp = await client.get("/signer-extension.zip", headers={"Host": "bad_host!"})
    assert resp.status == 400
    assert "Host" in (await resp.json())["error"]["message"]


async def test_the_console_snippet_helpers_are_the_extensions_own(client: Client) -> None:
    resp = await client.get("/signer-extension/webauthn-json.js")
    assert resp.status == 200 and resp.content_type == "text/javascript"
    assert await resp.read() == (SIGNER_DIR / "webauthn-json.js").read_bytes()
