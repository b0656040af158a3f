"""Request parsing into typed models: bad input becomes a 400 that names the field.

Bodies are strict JSON objects (no unknown fields, no type coercion); query strings are coerced
from text. Path ids must be UUIDs.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.errors import BadRequest, UnsupportedMediaType, ValidationFailed

M = TypeVar("M", bound=BaseModel)

_FRIENDLY = {
    "extra_forbidden": "unknown field",
    "missing": "field required",
    "json_invalid": "body is not valid JSON",
    "model_type": "body must be a JSON object",
    "model_attributes_type": "body must be a JSON object",
}


class Body(BaseModel):
    """Base of every request body model."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True, frozen=True)


class Query(BaseModel):
    """Base of every query-string model (values arrive as text and are coerced)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _field_name(loc: tuple[int | str, ...], where: str) -> str:
    parts = [str(p) for p in loc if p != "__root__"]
    return ".".join(parts) if parts else where


def validation_error(exc: ValidationError, *, where: str) -> ValidationFailed:
    details: list[dict[str, Any]] = []
    for e in exc.errors(include_url=False, include_input=False):
        field = _field_name(tuple(e["loc"]), where)
        message = _FRIENDLY.get(e["type"], e["msg"])
        details.append({"field": field, "message": message, "type": e["type"]})
    first = details[0]
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return ValidationFailed(f"{first['field']}: {first['message']}{more}", details=details)


async def parse_body(request: web.Request, model: type[M], *, optional: bool = False) -> M:
    """The body as ``model``; with ``optional``, no body at all reads as ``{}``. A body must come
    as ``application/json``: a form or text/plain body is what a cross-site <form> can send
    without a preflight."""
    raw = await request.read()
    if not raw.strip():
        if optional:
            return model.model_validate({})
        raise BadRequest("body: a JSON object is required", details=[{"field": "body"}])
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            "body: Content-Type must be application/json",
            details=[{"field": "Content-Type", "message": "must be application/json"}],
        )
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(exc, where="body") from None


def parse_query(request: web.Request, model: type[M]) -> M:
    values: dict[str, str] = {}
    for key in request.query:
        got = request.query.getall(key)
        if len(got) > 1:
            raise ValidationFailed(
                f"{key}: given more than once", details=[{"field": key, "message": "repeated"}]
            )
        values[key] = got[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise validation_error(exc, where="query") from None


def path_uuid(request: web.Request, name: str) -> uuid.UUID:
    raw = request.match_info[name]
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name}: must be a UUID", details=[{"field": name, "message": "must be a UUID"}]
        ) from None


def path_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18 or int(raw) < 1:
        raise ValidationFailed(
            f"{name}: must be a positive integer",
            details=[{"field": name, "message": "must be a positive integer"}],
        )
    return int(raw)
