"""Typed errors of the control API and the one middleware that renders them as JSON."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SimError(Exception):
    """An error a client caused: rendered as ``{"error": {"code", "message", "field"}}``."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def bad_request(message: str, field: str | None = None, code: str = "invalid_field") -> SimError:
    return SimError(400, code, message, field)


def not_found(message: str, code: str = "not_found", field: str | None = None) -> SimError:
    return SimError(404, code, message, field)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except SimError as exc:
        return web.json_response(exc.body(), status=exc.status)
    except web.HTTPNotFound:
        if not request.path.startswith("/_sim/"):
            raise
        err = not_found(f"no route {request.method} {request.path}")
        return web.json_response(err.body(), status=404)
    except web.HTTPMethodNotAllowed as exc:
        if not request.path.startswith("/_sim/"):
            raise
        allowed = ", ".join(sorted(exc.allowed_methods))
        err = SimError(405, "method_not_allowed", f"{request.method} not allowed; use {allowed}")
        return web.json_response(err.body(), status=405)
    except web.HTTPException:
        raise
    except Exception:
        if not request.path.startswith("/_sim/"):
            raise
        log.exception("control request failed path=%s", request.path)
        err = SimError(500, "internal", "internal error (see the simulator log)")
        return web.json_response(err.body(), status=500)
