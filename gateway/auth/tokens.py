"""JWT (HS256, algorithm pinned, ``exp`` required): issued at login, checked by REST and sockets.

``decode_token`` is the one function both the REST layer and the Socket.IO ``connect`` use.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from gateway.auth.principal import Role
from gateway.errors import Unauthorized
from shared.db.types import User
from shared.settings import Settings

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 4096
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")  # base64url.base64url.sig
ISSUER = "wagateway"
CLOCK_SKEW_S = 60  # between the gateways that issue and check tokens


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    company_id: uuid.UUID | None
    role: Role
    expires_at: datetime


def issue_token(settings: Settings, user: User) -> tuple[str, datetime]:
    now = int(time.time())
    exp = now + settings.jwt_ttl_s
    claims = {
        "sub": str(user.id),
        "cid": str(user.company_id) if user.company_id else None,
        "role": user.role,
        "iat": now,
        "exp": exp,
        "iss": ISSUER,
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)
    return token, datetime.fromtimestamp(exp, UTC)


# tokens already verified (signature, shape) with this secret: every request of a client
# carries the same token, and checking its HMAC again each time was a tenth of a page's CPU.
# A hit is only used until the token's ``exp``; then it is decoded again (and refused as
# expired). Bounded: emptied when full.
_VERIFIED: dict[tuple[str, str], TokenClaims] = {}
VERIFIED_MAX = 10_000


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """Validate signature, algorithm, expiry and shape; raise ``Unauthorized`` with the reason."""
    key = (settings.jwt_secret, token)
    known = _VERIFIED.get(key)
    if known is not None and time.time() < known.expires_at.timestamp():
        return known
    claims = _decode(settings, token)
    if len(_VERIFIED) >= VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = claims
    return claims


def _decode(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"invalid token: {str(exc)[:100]}") from None
    except ValueError:  # text that is no token at all (e.g. not encodable as UTF-8)
        raise Unauthorized("invalid token: malformed") from None
    try:
        cid = claims.get("cid")
        return TokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            company_id=uuid.UUID(str(cid)) if cid else None,
            role=Role(str(claims["role"])),
            expires_at=_expiry(settings, claims["exp"]),
        )
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise Unauthorized("invalid token: malformed claims") from None


def _expiry(settings: Settings, exp: object) -> datetime:
    """A token never lives longer than this gateway issues them for (a signed token with an
    absurd ``exp`` is refused, whoever signed it)."""
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TypeError("exp is not a number")
    if exp > time.time() + settings.jwt_ttl_s + CLOCK_SKEW_S:
        raise ValueError("exp too far in the future")
    return datetime.fromtimestamp(int(exp), UTC)


def bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("missing Authorization header (expected 'Bearer <token>')")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS or not _JWS.match(token):
        raise Unauthorized("invalid token: malformed")
    return token
