"""JSON encoding for responses (orjson: UUIDs and datetimes natively, UTC times ending in ``Z``
as the models write them) and the success envelope."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z


def dump_bytes(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


def dumps(value: Any) -> str:
    return dump_bytes(value).decode()


def ok_body(data: Any) -> bytes:
    """The success envelope's bytes (straight from orjson: no str round trip)."""
    return dump_bytes({"success": True, "data": data})


def json_response(
    body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=body, status=status, headers=headers, content_type="application/json", charset="utf-8"
    )


def ok(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(ok_body(data), status=status, headers=headers)
