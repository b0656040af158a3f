"""The OpenAPI 3.1 document, built from the endpoint declarations (so it cannot drift).

Paths, roles, path ids, query and body models, and response models come from ``Endpoint``;
JSON Schemas from pydantic. Built once per set of endpoints.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gateway.chatref import WA_CHAT_ID_PATTERN
from gateway.routing import Endpoint

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{(\w+)\}")
# path parameters that are not (only) UUIDs
_PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    "workerId": {"type": "string", "maxLength": 200},
    "deliveryId": {"type": "integer", "minimum": 1},
    "chatId": {
        "description": "our chat id, or any WhatsApp id of the chat (@s.whatsapp.net = @c.us)",
        "anyOf": [
            {"type": "string", "format": "uuid"},
            {"type": "string", "pattern": WA_CHAT_ID_PATTERN},
        ],
    },
}

RULES = """\
Every `/api/*` route except login and this document needs `Authorization: Bearer <jwt>`
(from `POST /api/auth/login`), or, where a route names an API key scope (`x-api-key-scope`),
`X-Api-Key: <key>` of a key with that scope (a key acts as its company's admin within its
scopes; a key limited to some sessions gets 404 for the others and 403 on company-wide routes,
`x-company-wide`). Successful answers are `{"success": true, "data": ...}`;
errors are `{"success": false, "error": {"code", "message", "details"}}`.

Permission semantics, the same on every route:
- a session, chat or manager id of another company answers **404**, for everyone;
- a manager with no access row, or with `canRead` false, on a session gets **404** for it
  (they cannot learn it exists); with `canRead` but without the `canWrite` /
  `canManageChats` a route needs, **403**;
- a role a route is not for gets **403** (e.g. managers on admin routes);
- a path id that is not a UUID gets **400** naming the parameter; `{chatId}` is our chat id
  or any WhatsApp id of the chat (`<digits>@c.us`, `<digits>@s.whatsapp.net`, `<digits>@lid`,
  `<digits>[-<digits>]@g.us`), anything else is 400; a chat of another session of the same
  company gets 404;
- bad bodies and query strings (unknown fields, wrong types, text over 4096 characters,
  bad phone numbers, bad paging) get **400** naming the field.
"""

_ERRORS = {
    "400": "invalid input; error.details names the field",
    "401": "missing, invalid or expired token (or invalid or revoked API key)",
    "403": "the caller's role, right on the session or API key scope does not allow this",
    "404": "not found, or not visible to the caller",
    "409": "conflicts with the current state",
    "410": "too late: its deadline has passed (or, for media, removed by retention)",
    "413": "too large: the file is over APP_MEDIA_MAX_MB (error.details names the field)",
    "415": "the body is not sent as Content-Type: application/json",
    "416": "the Range asked for is not in the file (Content-Range: bytes */<size>)",
    "429": "too many attempts; retry after Retry-After seconds",
    "503": "a dependency (Postgres or Redis) is unavailable; retry",
    "504": "the session's worker did not answer in time; retry",
}

_ERROR_ENVELOPE = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        },
        "requestId": {"type": "string"},
    },
}


def _operation_id(ep: Endpoint) -> str:
    return ep.method.lower() + "_" + re.sub(r"[^A-Za-z0-9]+", "_", ep.path).strip("_")


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or text; ``T | None`` becomes T."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**kept[0], **rest}
    return schema


def _query_parameters(model: type[BaseModel], defs: dict[str, Any]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True, ref_template=REF, mode="validation")
    defs.update(schema.get("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _drop_null(prop)}
        for name, prop in schema.get("properties", {}).items()
    ]


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS.get(name, {"type": "string", "format": "uuid"}),
        }
        for name in _PARAM.findall(path)
    ]


def _success_schema(ep: Endpoint, refs: dict[Any, Any], defs: dict[str, Any]) -> dict[str, Any]:
    model = refs.get((ep.response, "serialization")) if ep.response else None
    if ep.flat:
        if model is None:
            return {"type": "object"}
        # the model's own fields, plus the same object mirrored under "data"
        fields = defs[model["$ref"].rsplit("/", 1)[1]]
        return {**fields, "properties": {**fields["properties"], "data": model}}
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"const": True}, "data": model or {}},
    }


def _responses(ep: Endpoint, refs: dict[Any, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if ep.media == "application/json":
        schema = _success_schema(ep, refs, defs)
        content: dict[str, Any] = {"application/json": {"schema": schema}}
    else:
        content = {ep.media: {"schema": {"type": "string"}}}
    ok = {"description": ep.summary, "content": content}
    out: dict[str, Any] = {str(ep.status): ok}
    if ep.status == 202:
        out["200"] = {"description": "already complete", "content": content}
    errors = {"400"} if (ep.body or ep.query or "{" in ep.path) else set()
    if ep.roles is not None:
        errors |= {"401", "403", "503"}
    if "{" in ep.path:
        errors.add("404")
    if ep.method in ("POST", "PATCH", "DELETE") and ep.roles is not None:
        errors.add("409")
    if ep.body is not None:
        errors.add("415")
    errors |= {str(code) for code in ep.errors}
    error_content = {"application/json": {"schema": {"$ref": REF.format(model="ErrorEnvelope")}}}
    for code in sorted(errors):
        out[code] = {"description": _ERRORS[code], "content": error_content}
    return out


def _security(ep: Endpoint) -> list[dict[str, list[str]]]:
    if ep.roles is None:
        return []
    if ep.scope is None:
        return [{"bearerAuth": []}]
    return [{"bearerAuth": []}, {"apiKeyAuth": []}]


def _operation(ep: Endpoint, refs: dict[Any, Any], defs: dict[str, Any]) -> dict[str, Any]:
    who = "public" if ep.roles is None else ", ".join(sorted(r.value for r in ep.roles))
    if ep.roles is not None:
        who += f"; API keys with the {ep.scope} scope" if ep.scope else "; not with API keys"
    op: dict[str, Any] = {
        "operationId": _operation_id(ep),
        "summary": ep.summary,
        "description": f"Who: {who}. {ep.description}".strip(),
        "tags": list(ep.tags),
        "x-roles": sorted(r.value for r in ep.roles) if ep.roles is not None else [],
        "parameters": _path_parameters(ep.path)
        + (_query_parameters(ep.query, defs) if ep.query else []),
        "responses": _responses(ep, refs, defs),
        "security": _security(ep),
    }
    if ep.scope is not None:
        op["x-api-key-scope"] = ep.scope.value
        op["x-company-wide"] = ep.company_wide
    if ep.body is not None:
        op["requestBody"] = {
            "required": not ep.body_optional,
            "content": {"application/json": {"schema": refs[(ep.body, "validation")]}},
        }
    if ep.form is not None:
        op["requestBody"]["content"]["multipart/form-data"] = {"schema": _form_schema(ep.form)}
    if 416 in ep.errors:  # a route that can refuse a Range serves ranges
        op["responses"]["206"] = {
            "description": "the part asked for with Range (Content-Range says which)",
            "content": {ep.media: {"schema": {"type": "string"}}},
        }
    return op


def _form_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A multipart form: the model's text fields, and the file."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF, mode="validation")
    props = {k: _drop_null(v) for k, v in schema.get("properties", {}).items()}
    props["file"] = {"type": "string", "format": "binary"}
    return {
        "type": "object",
        "properties": props,
        "required": [*schema.get("required", []), "file"],
    }


@lru_cache(maxsize=8)
def build_spec(endpoints: tuple[Endpoint, ...], *, version: str = "0.1.0") -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for ep in endpoints:
        if ep.body is not None:
            wanted.append((ep.body, "validation"))
        if ep.response is not None:
            wanted.append((ep.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, top = models_json_schema(unique, by_alias=True, ref_template=REF)
    defs: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, refs, defs)
    defs["ErrorEnvelope"] = _ERROR_ENVELOPE
    return {
        "openapi": "3.1.0",
        "info": {"title": "WhatsApp session gateway", "version": version, "description": RULES},
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
        "tags": [{"name": t} for t in dict.fromkeys(t for ep in endpoints for t in ep.tags)],
    }
