"""Endpoint declarations: method, path, who may call it, and its request models.

Every API route is declared through a ``Router``; the declaration drives authentication and the
role check (here, in one place), the role-table test, and the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from aiohttp import web
from psycopg_pool import PoolTimeout
from pydantic import BaseModel

from gateway.auth.apikeys import HEADER as API_KEY_HEADER
from gateway.auth.apikeys import principal_for_key
from gateway.auth.principal import Principal, Role, Scope
from gateway.auth.tokens import bearer_token, decode_token
from gateway.errors import Forbidden, Unauthorized
from gateway.keys import AUTH_DEGRADED, PAGE_CACHE, PG, PRINCIPAL, SETTINGS, USER_CACHE
from shared.db.repos import users

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ANY_USER = frozenset(Role)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    roles: frozenset[Role] | None  # None: public
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    # the text fields of a multipart/form-data body with a ``file`` part, accepted besides
    # the JSON ``body`` (the handler reads it)
    form: type[BaseModel] | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    # when Postgres is unreachable, trust the signed token alone (for always-200 status probes)
    tolerant_auth: bool = False
    flat: bool = False  # the body is the response model itself, not the {success, data} envelope
    media: str = "application/json"  # media type of the success body
    body_optional: bool = False  # no body (or an empty one) means the model's defaults
    errors: tuple[int, ...] = ()  # error statuses beyond those every route of its kind has
    scope: Scope | None = None  # what an API key needs to call it (None: keys are refused)
    # acts on the whole company (not on chosen sessions): a key limited to sessions is refused
    company_wide: bool = False
    # a signed link (``?sig=&exp=``, gateway/medialinks.py) may stand in for authentication:
    # the handler checks it (and finds no principal on the request)
    signed: bool = False


class Router:
    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.endpoints: list[Endpoint] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        roles: Iterable[Role] | None,
        summary: str,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        form: type[BaseModel] | None = None,
        description: str = "",
        tolerant_auth: bool = False,
        flat: bool = False,
        media: str = "application/json",
        body_optional: bool = False,
        errors: tuple[int, ...] = (),
        scope: Scope | None = None,
        company_wide: bool = False,
        signed: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=path,
                    handler=handler,
                    roles=frozenset(roles) if roles is not None else None,
                    summary=summary,
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    form=form,
                    tags=(self.tag,),
                    description=description,
                    tolerant_auth=tolerant_auth,
                    flat=flat,
                    media=media,
                    body_optional=body_optional,
                    errors=errors,
                    scope=scope,
                    company_wide=company_wide,
                    signed=signed,
                )
            )
            return handler

        return register


def uses_api_key(request: web.Request) -> bool:
    """An ``X-Api-Key`` without an ``Authorization`` header (a bearer token wins)."""
    return API_KEY_HEADER in request.headers and "Authorization" not in request.headers


async def authenticate(request: web.Request) -> Principal:
    """Bearer token -> a still-existing, enabled user; or ``X-Api-Key`` -> a live key of a
    company. The only REST authentication path."""
    if uses_api_key(request):
        return await principal_for_key(request.app[PG], request.headers[API_KEY_HEADER])
    settings = request.app[SETTINGS]
    claims = decode_token(settings, bearer_token(request.headers.get("Authorization")))
    cache = request.app[USER_CACHE]
    user = cache.get(claims.user_id)
    if user is None:
        generation = cache.generation
        async with request.app[PG].connection() as conn:
            user = await users.get_active(conn, user_id=claims.user_id)
        if user is None:
            raise Unauthorized("user no longer exists or is disabled")
        cache.put(user, generation=generation)
    return Principal.of(user)


async def authenticate_tolerant(request: web.Request) -> Principal:
    """``authenticate``, but while Postgres is down the valid token alone identifies the caller."""
    try:
        return await authenticate(request)
    except (PoolTimeout, psycopg.OperationalError):
        if uses_api_key(request):  # a key cannot be checked without the database
            raise
        claims = decode_token(
            request.app[SETTINGS], bearer_token(request.headers.get("Authorization"))
        )
        request[AUTH_DEGRADED] = True
        return Principal(
            user_id=claims.user_id,
            company_id=claims.company_id,
            role=claims.role,
            email="",
            display_name="",
        )


def guarded(endpoint: Endpoint) -> Handler:
    """Wrap a handler with authentication and the endpoint's role check."""
    if endpoint.roles is None:
        return endpoint.handler
    roles = endpoint.roles
    auth = authenticate_tolerant if endpoint.tolerant_auth else authenticate
    changes = endpoint.method not in ("GET", "HEAD")

    async def handler(request: web.Request) -> web.StreamResponse:
        if endpoint.signed and "sig" in request.query:
            return await endpoint.handler(request)
        principal = await auth(request)
        if principal.role not in roles:
            raise Forbidden(f"role '{principal.role}' may not call this endpoint")
        if principal.key is not None:
            check_key(endpoint, principal)
        request[PRINCIPAL] = principal
        if not changes:
            return await endpoint.handler(request)
        try:
            return await endpoint.handler(request)
        finally:  # whatever it changed, this gateway's next page read sees (read-your-writes)
            request.app[PAGE_CACHE].forget(principal.company_id)

    return handler


def check_key(endpoint: Endpoint, principal: Principal) -> None:
    """An API key calls a route only with the route's scope, and a route acting on the whole
    company only when the key is not limited to some sessions."""
    key = principal.key
    assert key is not None
    if endpoint.scope is None:
        raise Forbidden("API keys may not call this endpoint; sign in as a user")
    if endpoint.scope not in key.scopes:
        raise Forbidden(f"this API key lacks the '{endpoint.scope}' scope")
    if endpoint.company_wide and key.sessions is not None:
        raise Forbidden("this API key is limited to some sessions; this endpoint is company-wide")


def add_endpoints(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    for ep in endpoints:
        app.router.add_route(ep.method, ep.path, guarded(ep))
