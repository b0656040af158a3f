"""JWT (HS256, algorithm pinned, ``exp`` required): issued at login, checked by REST and sockets.

``decode_token`` is the one function both the REST layer and the Socket.IO ``connect`` use.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from gateway.errors import Unauthorized
from shared.db.types import User
from shared.settings import Settings

ALGORITHM = "HS256"
ISSUER = "wagateway"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: uuid.UUID
    company_id: uuid.UUID | None
    role: str
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


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """Validate signature, algorithm, expiry and shape; raise ``Unauthorized`` with the reason."""
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
        raise Unauthorized(f"invalid token: {exc}") from None
    try:
        cid = claims.get("cid")
        return TokenClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            company_id=uuid.UUID(str(cid)) if cid else None,
            role=str(claims["role"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (KeyError, ValueError, TypeError):
        raise Unauthorized("invalid token: malformed claims") from None


def bearer_token(header: str | None) -> str:
    if not header:
        raise Unauthorized("missing Authorization header (expected 'Bearer <token>')")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()
