"""JSON encoding for responses (orjson: UUIDs and datetimes natively) and the success envelope."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


def dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def ok(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"success": True, "data": data}, status=status, dumps=dumps, headers=headers
    )
