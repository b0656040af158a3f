"""Reading control-API request bodies: every mistake becomes a 400 that names the field."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from simulator.errors import bad_request

MAX_BODY = 1_000_000


async def json_object(
    request: web.Request, allowed: set[str], *, max_body: int = MAX_BODY
) -> dict[str, Any]:
    """The body as a JSON object with no fields outside ``allowed`` (an empty body is ``{}``)."""
    if request.content_length and request.content_length > max_body:
        raise bad_request("body too large", None, "body_too_large")
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"body is not valid JSON: {exc}", None, "invalid_json") from exc
    if not isinstance(data, dict):
        raise bad_request("body must be a JSON object", None, "invalid_json")
    unknown = sorted(set(data) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise bad_request(f"unknown field {unknown[0]!r}; known: {known}", unknown[0])
    return data


def required_text(body: dict[str, Any], key: str, *, max_len: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{key} must be a non-empty string", key)
    if len(value) > max_len:
        raise bad_request(f"{key} is longer than {max_len} characters", key)
    return value


def optional_text(body: dict[str, Any], key: str, *, max_len: int) -> str | None:
    return None if body.get(key) is None else required_text(body, key, max_len=max_len)
