"""API keys for integrations: made here (shown once), recognised by their SHA-256 hash.

A key is ``wagw_`` and 43 URL-safe characters (256 random bits): a plain hash is enough to store
it (nothing to brute-force), and one indexed lookup finds it.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from psycopg_pool import AsyncConnectionPool

from gateway.auth.principal import Principal
from gateway.errors import Unauthorized
from shared.db.repos import api_keys

KEY_PREFIX = "wagw_"
PREFIX_SHOWN = 12  # characters kept to recognise a key in lists ("wagw_AbCdEfG")
HEADER = "X-Api-Key"
_SHAPE = re.compile(r"^wagw_[A-Za-z0-9_-]{43}$")


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def principal_for_key(pg: AsyncConnectionPool, key: str) -> Principal:
    """The company's principal for a live key; 401 for anything else (same answer for a
    malformed, unknown or revoked key)."""
    if not _SHAPE.match(key):
        raise Unauthorized("invalid or revoked API key")
    async with pg.connection() as conn:
        row = await api_keys.use(conn, key_hash=key_hash(key))
    if row is None:
        raise Unauthorized("invalid or revoked API key")
    return Principal.of_key(row)
