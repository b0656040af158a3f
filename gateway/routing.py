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

from gateway.auth.principal import Principal, Role
from gateway.auth.tokens import bearer_token, decode_token
from gateway.errors import Forbidden, Unauthorized
from gateway.keys import AUTH_DEGRADED, PG, PRINCIPAL, SETTINGS, USER_CACHE
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
    tags: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""
    # when Postgres is unreachable, trust the signed token alone (for always-200 status probes)
    tolerant_auth: bool = False
    flat: bool = False  # the body is the response model itself, not the {success, data} envelope
    media: str = "application/json"  # media type of the success body
    body_optional: bool = False  # no body (or an empty one) means the model's defaults
    errors: tuple[int, ...] = ()  # error statuses beyond those every route of its kind has


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
        description: str = "",
        tolerant_auth: bool = False,
        flat: bool = False,
        media: str = "application/json",
        body_optional: bool = False,
        errors: tuple[int, ...] = (),
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
                    tags=(self.tag,),
                    description=description,
                    tolerant_auth=tolerant_auth,
                    flat=flat,
                    media=media,
                    body_optional=body_optional,
                    errors=errors,
                )
            )
            return handler

        return register


async def authenticate(request: web.Request) -> Principal:
    """Bearer token -> a still-existing, enabled user. The only REST authentication path."""
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

    async def handler(request: web.Request) -> web.StreamResponse:
        principal = await auth(request)
        if principal.role not in roles:
            raise Forbidden(f"role '{principal.role}' may not call this endpoint")
        request[PRINCIPAL] = principal
        return await endpoint.handler(request)

    return handler


def add_endpoints(app: web.Application, endpoints: Iterable[Endpoint]) -> None:
    for ep in endpoints:
        app.router.add_route(ep.method, ep.path, guarded(ep))
