"""Who opens a socket: a JWT (``auth.token`` or ``?token=``) or an API key (``auth.apiKey`` or an
``X-Api-Key`` header); refusals carry their reason (the client's ``connect_error``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import socketio
from psycopg_pool import AsyncConnectionPool

from gateway.auth.apikeys import principal_for_key
from gateway.auth.principal import Principal, Role, Scope
from gateway.auth.tokens import TokenClaims, decode_token
from gateway.errors import Unauthorized
from gateway.realtime import rooms
from shared.db.repos import api_keys, users
from shared.settings import Settings

Refused = socketio.exceptions.ConnectionRefusedError


def _token(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        return str(auth["token"])
    values = parse_qs(environ.get("QUERY_STRING", "")).get("token")
    return values[0] if values else None


def _api_key(environ: dict[str, Any], auth: Any) -> str | None:
    if isinstance(auth, dict) and isinstance(auth.get("apiKey"), str):
        return str(auth["apiKey"])
    header = environ.get("HTTP_X_API_KEY")
    return str(header) if header else None


async def identify(
    settings: Settings, pg: AsyncConnectionPool, environ: dict[str, Any], auth: Any, ns: str
) -> tuple[Principal, datetime | None]:
    """The caller, and when its socket must close (its token's expiry; a key's: never)."""
    key, token = _api_key(environ, auth), _token(environ, auth)
    if key is not None and token is None:
        return await _by_key(pg, key, ns), None
    if not token:
        raise Refused(
            "authentication required: pass the JWT as auth.token (or ?token=), or an API key"
            " as auth.apiKey"
        )
    try:
        claims = decode_token(settings, token)
    except Unauthorized as exc:
        raise Refused(exc.message) from None
    return await _by_token(pg, claims), claims.expires_at


async def _by_key(pg: AsyncConnectionPool, key: str, ns: str) -> Principal:
    if ns != rooms.NAMESPACE:
        raise Refused("API keys connect to the /whatsapp namespace")
    try:
        who = await principal_for_key(pg, key)
    except Unauthorized as exc:
        raise Refused(exc.message) from None
    if who.key is None or Scope.READ not in who.key.scopes:
        raise Refused("this API key lacks the 'read' scope")
    return who


async def _by_token(pg: AsyncConnectionPool, claims: TokenClaims) -> Principal:
    async with pg.connection() as conn:
        user = await users.get_active(conn, user_id=claims.user_id)
    if user is None:
        raise Refused("user no longer exists or is disabled")
    who = Principal.of(user)
    if who.role is Role.OPERATOR:
        raise Refused("operators have no message feed; use /api/ops/*")
    return who


async def reload(pg: AsyncConnectionPool, principal_id: UUID) -> Principal | None:
    """The user, or the live API key, with this id now (None: gone, disabled, revoked)."""
    async with pg.connection() as conn:
        user = await users.get_active(conn, user_id=principal_id)
        if user is not None:
            return Principal.of(user)
        key = await api_keys.get_live(conn, key_id=principal_id)
    return Principal.of_key(key) if key is not None else None
