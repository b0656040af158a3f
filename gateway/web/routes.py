"""Routes serving the dashboard: ``/``, ``/static/*``, ``/sw.js``, the manifest, ``/vendor/*``, and
the passkey signer extension (``/signer-extension.zip``, built for the host it is downloaded from).

Everything is revalidated (``no-cache`` + ETag/Last-Modified from ``FileResponse``): the URLs carry
no version, so a long max-age would pin old code; a 304 costs one round trip. Vendor files come
from ``node_modules`` (installed by ``npm ci``) and only through the whitelist below. A name that
cannot be a file here (NUL, too long, outside the directory) is a 404 like any missing file.
The security headers are nginx's (infra/nginx/security-headers.conf), so a gateway reached
directly protects the dashboard the same way.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from aiohttp import web

from gateway.errors import BadRequest, NotFound
from gateway.forwarded import client

STATIC_DIR = Path(__file__).resolve().parent / "static"
SIGNER_DIR = Path(__file__).resolve().parent / "signer-extension"
SIGNER_FILES = ("manifest.json", "background.js", "dashboard.js", "sign.js", "webauthn-json.js")
SIGNER_ZIP = "wagateway-passkey-signer.zip"
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)  # fixed: the same files make the same archive
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# URL name under /vendor/ -> file inside node_modules; nothing else there is reachable
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
}

MAX_PATH_CHARS = 255  # our own file names are short; anything longer is not one of them

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": CSP,
}
JS = "text/javascript; charset=utf-8"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name the file system refuses is no file of ours
        return False


def _file(path: Path, content_type: str | None = None) -> web.FileResponse:
    if not _is_file(path):
        raise NotFound("no such file")
    response = web.FileResponse(path, headers=HEADERS)
    if content_type is not None:
        response.content_type = content_type
    return response


async def index(request: web.Request) -> web.FileResponse:
    return _file(STATIC_DIR / "index.html", "text/html; charset=utf-8")


async def service_worker(request: web.Request) -> web.FileResponse:
    # served from the root so its scope is the whole dashboard (no Service-Worker-Allowed needed)
    return _file(STATIC_DIR / "sw.js", JS)


async def manifest(request: web.Request) -> web.FileResponse:
    return _file(STATIC_DIR / "manifest.webmanifest", "application/manifest+json")


async def static_file(request: web.Request) -> web.FileResponse:
    relative = request.match_info["path"]
    if len(relative) > MAX_PATH_CHARS or "\x00" in relative:
        raise NotFound("no such file")
    try:
        target = (STATIC_DIR / relative).resolve()
    except (OSError, ValueError, RuntimeError):  # a symlink loop, a name the OS refuses
        raise NotFound("no such file") from None
    if not target.is_relative_to(STATIC_DIR):
        raise NotFound("no such file")
    return _file(target, JS if target.suffix == ".js" else None)


async def vendor_file(request: web.Request) -> web.FileResponse:
    name = VENDOR_FILES.get(request.match_info["name"])
    if name is None:
        raise NotFound("no such vendor file")
    return _file(NODE_MODULES / name, JS)


def _dashboard_host(request: web.Request) -> str:
    """The host the admin reaches the dashboard on (behind a trusted proxy: the one it names),
    without a port: WebExtension match patterns have none."""
    host = client(request).host
    name = host[1:].split("]")[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    if not _HOSTNAME.match(name):
        raise BadRequest(
            "Host: the signer extension is built for a host name; open the dashboard by its name"
        )
    return name.lower()


def signer_archive(host: str) -> bytes:
    """The signer extension's files, its dashboard content script matching ``host`` only."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in SIGNER_FILES:
            data = (SIGNER_DIR / name).read_bytes()
            if name == "manifest.json":
                manifest = json.loads(data)
                manifest["content_scripts"][0]["matches"] = [f"*://{host}/*"]
                data = (json.dumps(manifest, indent=2) + "\n").encode()
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data)
    return out.getvalue()


async def signer_zip(request: web.Request) -> web.Response:
    body = signer_archive(_dashboard_host(request))
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{SIGNER_ZIP}"'}
    return web.Response(body=body, content_type="application/zip", headers=headers)


async def signer_helpers(request: web.Request) -> web.FileResponse:
    # the dashboard's console snippet starts with the extension's own WebAuthn JSON helpers
    return _file(SIGNER_DIR / "webauthn-json.js", JS)


# the dashboard's routes: not API, so not in /api/openapi.json
ROUTES = (
    ("/", index),
    ("/sw.js", service_worker),
    ("/manifest.webmanifest", manifest),
    ("/static/{path:.+}", static_file),
    ("/vendor/{name}", vendor_file),
    ("/signer-extension.zip", signer_zip),
    ("/signer-extension/webauthn-json.js", signer_helpers),
)
# as aiohttp names them (``resource.canonical``), for tests that tell these from API routes
PATHS = frozenset(
    {
        "/",
        "/sw.js",
        "/manifest.webmanifest",
        "/static/{path}",
        "/vendor/{name}",
        "/signer-extension.zip",
        "/signer-extension/webauthn-json.js",
    }
)


def setup_dashboard(app: web.Application) -> None:
    for path, handler in ROUTES:
        app.router.add_get(path, handler)
