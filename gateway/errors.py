"""One error hierarchy, rendered by one middleware into the JSON error envelope.

Handlers raise ``AppError`` subclasses; nothing else builds error JSON. Unknown exceptions become a
logged 500 with the request id; unknown routes and methods become JSON 404/405.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import psycopg
from aiohttp import web
from aiohttp.typedefs import Handler
from psycopg_pool import PoolTimeout
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.jsonio import dumps
from gateway.keys import REQUEST_ID

log = logging.getLogger(__name__)

# a client's X-Request-ID is kept (logged, echoed) only when it looks like one
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class AppError(Exception):
    status = 500
    code = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class BadRequest(AppError):
    status = 400
    code = "bad_request"


class ValidationFailed(AppError):
    status = 400
    code = "validation_error"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"


class Conflict(AppError):
    status = 409
    code = "conflict"


class MediaUnavailable(Conflict):
    """A message's media is not stored (yet): pending download, or downloads failed."""

    code = "media_unavailable"


class Gone(AppError):
    """It existed, and its time is over (e.g. a passkey request past its deadline)."""

    status = 410
    code = "gone"


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"


class RangeNotSatisfiable(AppError):
    status = 416
    code = "range_not_satisfiable"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(AppError):
    status = 503
    code = "unavailable"


class GatewayTimeout(AppError):
    """A worker did not answer in time (the request waited for it and gave up)."""

    status = 504
    code = "timeout"


def error_response(err: AppError, request_id: str) -> web.Response:
    body = {
        "success": False,
        "error": {"code": err.code, "message": err.message, "details": err.details},
        "requestId": request_id,
    }
    headers = {"X-Request-ID": request_id, **err.headers}
    return web.json_response(body, status=err.status, dumps=dumps, headers=headers)


def _from_http_exception(exc: web.HTTPException) -> AppError:
    if exc.status == 404:
        return NotFound("no such route")
    if exc.status == 405:
        allowed = ", ".join(sorted(getattr(exc, "allowed_methods", ()) or ()))
        return MethodNotAllowed(
            f"method not allowed; allowed: {allowed}", details={"allowed": allowed}
        )
    if exc.status == 413:
        return PayloadTooLarge("request body too large")
    err = AppError(exc.reason or "error")
    err.status = exc.status
    err.code = "http_error"
    return err


def request_id_of(request: web.Request) -> str:
    """The client's (or nginx's) X-Request-ID when it looks like one, else a fresh id."""
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except AppError as err:
        return error_response(err, request_id)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(_from_http_exception(exc), request_id)
    except (PoolTimeout, psycopg.OperationalError) as exc:
        log.warning("request_id=%s database unavailable: %s", request_id, exc)
        return error_response(ServiceUnavailable("database unavailable, try again"), request_id)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        log.warning("request_id=%s redis unavailable: %s", request_id, exc)
        return error_response(ServiceUnavailable("queue unavailable, try again"), request_id)
    except Exception:
        log.exception(
            "request_id=%s unhandled error on %s %s", request_id, request.method, request.path
        )
        return error_response(AppError("internal server error"), request_id)
    if not response.prepared:
        response.headers.setdefault("X-Request-ID", request_id)
    return response
