"""Routes serving the dashboard: ``/``, ``/static/*``, ``/sw.js``, the manifest, ``/vendor/*``.

Everything is revalidated (``no-cache`` + ETag/Last-Modified from ``FileResponse``): the URLs carry
no version, so a long max-age would pin old code; a 304 costs one round trip. Vendor files come
from ``node_modules`` (installed by ``npm ci``) and only through the whitelist below.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from gateway.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# URL name under /vendor/ -> file inside node_modules; nothing else there is reachable
VENDOR_FILES = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
}

REVALIDATE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
JS = "text/javascript; charset=utf-8"


def _file(path: Path, content_type: str | None = None) -> web.FileResponse:
    if not path.is_file():
        raise NotFound("no such file")
    response = web.FileResponse(path, headers=REVALIDATE)
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
    target = (STATIC_DIR / relative).resolve()
    if not target.is_relative_to(STATIC_DIR):
        raise NotFound("no such file")
    return _file(target, JS if target.suffix == ".js" else None)


async def vendor_file(request: web.Request) -> web.FileResponse:
    name = VENDOR_FILES.get(request.match_info["name"])
    if name is None:
        raise NotFound("no such vendor file")
    return _file(NODE_MODULES / name, JS)


# the dashboard's routes: not API, so not in /api/openapi.json
ROUTES = (
    ("/", index),
    ("/sw.js", service_worker),
    ("/manifest.webmanifest", manifest),
    ("/static/{path:.+}", static_file),
    ("/vendor/{name}", vendor_file),
)
# as aiohttp names them (``resource.canonical``), for tests that tell these from API routes
PATHS = frozenset({"/", "/sw.js", "/manifest.webmanifest", "/static/{path}", "/vendor/{name}"})


def setup_dashboard(app: web.Application) -> None:
    for path, handler in ROUTES:
        app.router.add_get(path, handler)
