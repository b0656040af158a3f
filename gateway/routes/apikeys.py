"""API keys of the company (admins signed in as users; never with a key): create (the key is
shown once), list, revoke. Creating and revoking are audited; a revoked key's sockets close."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from aiohttp import web
from pydantic import Field

from gateway import auditing
from gateway.auth.apikeys import PREFIX_SHOWN, key_hash, new_key
from gateway.auth.principal import Role, Scope
from gateway.auth.usercache import user_changed
from gateway.errors import NotFound
from gateway.fields import Name
from gateway.jsonio import ok
from gateway.keys import PG, PRINCIPAL
from gateway.permissions import company_sessions
from gateway.routing import Router
from gateway.validation import Body, parse_body, path_uuid
from shared.db.repos import api_keys
from shared.db.types import ApiKey
from shared.events import Wire

router = Router("api-keys")
ADMIN = {Role.ADMIN}
MAX_SESSIONS = 100


class ApiKeyCreate(Body):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    # absent or null: every session of the company
    session_ids: list[UUID] | None = Field(None, alias="sessionIds", max_length=MAX_SESSIONS)


class ApiKeyOut(Wire):
    id: UUID
    name: str
    prefix: str  # the key's first characters, to recognise it
    scopes: list[Scope]
    session_ids: list[UUID] | None
    created_by: UUID | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyList(Wire):
    api_keys: list[ApiKeyOut]


class ApiKeyCreated(Wire):
    api_key: ApiKeyOut
    key: str  # shown this once; only its hash is kept


class ApiKeyData(Wire):
    api_key: ApiKeyOut


def key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=[Scope(s) for s in row.scopes],
        session_ids=row.session_ids,
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.route(
    "GET", "/api/api-keys", roles=ADMIN, summary="The company's API keys", response=ApiKeyList
)
async def list_keys(request: web.Request) -> web.Response:
    async with request.app[PG].connection() as conn:
        rows = await api_keys.list_for_company(conn, company_id=request[PRINCIPAL].tenant)
    return ok(ApiKeyList(api_keys=[key_out(r) for r in rows]).to_wire())


@router.route(
    "POST",
    "/api/api-keys",
    roles=ADMIN,
    summary="Create an API key (the key is in this answer only)",
    body=ApiKeyCreate,
    response=ApiKeyCreated,
    status=201,
    description=(
        "scopes: any of read, send, manage. sessionIds limits the key to those sessions of the"
        " company (others answer 404; company-wide routes 403). Send the key as X-Api-Key on"
        " REST, or as auth.apiKey when connecting the socket (needs read)."
    ),
)
async def create_key(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    body = await parse_body(request, ApiKeyCreate)
    scopes = sorted(set(body.scopes))
    sessions = sorted(set(body.session_ids)) if body.session_ids is not None else None
    key = new_key()
    async with request.app[PG].connection() as conn, conn.transaction():
        if sessions is not None:
            await company_sessions(conn, principal, sessions, "sessionIds")
        row = await api_keys.create(
            conn,
            company_id=principal.tenant,
            name=body.name,
            prefix=key[:PREFIX_SHOWN],
            key_hash=key_hash(key),
            scopes=scopes,
            session_ids=sessions,
            created_by=principal.person_id,
        )
        listed = [str(s) for s in sessions] if sessions is not None else None
        details = {"name": row.name, "scopes": scopes, "sessionIds": listed}
        await auditing.record(conn, principal, "apikey.create", target=str(row.id), details=details)
    return ok(ApiKeyCreated(api_key=key_out(row), key=key).to_wire(), status=201)


@router.route(
    "DELETE",
    "/api/api-keys/{id}",
    roles=ADMIN,
    summary="Revoke an API key (at once, on every gateway; its sockets close)",
    response=ApiKeyData,
)
async def revoke_key(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    key_id = path_uuid(request, "id")
    async with request.app[PG].connection() as conn, conn.transaction():
        row = await api_keys.revoke(conn, company_id=principal.tenant, key_id=key_id)
        if row is None:
            raise NotFound("API key not found")
        await auditing.record(
            conn, principal, "apikey.revoke", target=str(key_id), details={"name": row.name}
        )
    await user_changed(request, company_id=principal.tenant, user_id=key_id)
    return ok(ApiKeyData(api_key=key_out(row)).to_wire())
