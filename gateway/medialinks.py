"""Signed media links: ``...messages/{messageId}/media?exp=<unix s>&sig=<hex>`` streams one
message's media without a token until ``exp`` (for <img>/<audio>/<video> tags and integrations).

The signature is an HMAC-SHA256 of session, message and expiry under a key derived from
APP_JWT_SECRET (rotating the secret revokes every link).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from uuid import UUID

from gateway.errors import Unauthorized
from shared.payloads import media_url
from shared.settings import Settings


def _key(settings: Settings) -> bytes:
    return hmac.new(settings.jwt_secret.encode(), b"media-link-v1", hashlib.sha256).digest()


def signature(settings: Settings, session_id: UUID, message_id: UUID, exp: int) -> str:
    text = f"{session_id}:{message_id}:{exp}".encode()
    return hmac.new(_key(settings), text, hashlib.sha256).hexdigest()


def signed_url(
    settings: Settings, session_id: UUID, message_id: UUID, *, now: float | None = None
) -> tuple[str, datetime]:
    exp = int(now if now is not None else time.time()) + settings.media_link_ttl_s
    sig = signature(settings, session_id, message_id, exp)
    url = f"{media_url(session_id, message_id)}?exp={exp}&sig={sig}"
    return url, datetime.fromtimestamp(exp, UTC)


def check(
    settings: Settings,
    session_id: UUID,
    message_id: UUID,
    *,
    exp: str,
    sig: str,
    now: float | None = None,
) -> None:
    """Unauthorized unless ``sig`` signs this message until ``exp`` and ``exp`` is not past."""
    if not exp.isascii() or not exp.isdigit() or len(exp) > 12:
        raise Unauthorized("media link: exp must be a unix time")
    want = signature(settings, session_id, message_id, int(exp))
    if not hmac.compare_digest(want, sig.lower()):
        raise Unauthorized("media link: invalid signature")
    if int(exp) < (now if now is not None else time.time()):
        raise Unauthorized("media link: expired; ask for a new one")
