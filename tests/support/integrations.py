"""Seeding helpers for integrations: API keys (the key returned, as a client holds it), webhooks
and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from gateway.auth.apikeys import PREFIX_SHOWN, key_hash, new_key
from shared.db.repos import api_keys, webhooks
from shared.db.types import ApiKey, Webhook


@dataclass(frozen=True)
class Key:
    row: ApiKey
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Api-Key": self.key}


async def make_key(
    pg: AsyncConnectionPool,
    company_id: UUID,
    scopes: Sequence[str],
    *,
    sessions: Sequence[UUID] | None = None,
    name: str = "integration",
) -> Key:
    key = new_key()
    async with pg.connection() as conn:
        row = await api_keys.create(
            conn,
            company_id=company_id,
            name=name,
            prefix=key[:PREFIX_SHOWN],
            key_hash=key_hash(key),
            scopes=list(scopes),
            session_ids=list(sessions) if sessions is not None else None,
            created_by=None,
        )
    return Key(row, key)


async def make_webhook(
    pg: AsyncConnectionPool,
    company_id: UUID,
    url: str,
    *,
    secret: str = "whsec_test-secret-0123456789",
    events: Sequence[str] = (),
    sessions: Sequence[UUID] | None = None,
) -> Webhook:
    async with pg.connection() as conn:
        return await webhooks.create(
            conn,
            company_id=company_id,
            url=url,
            description="",
            event_types=list(events),
            session_ids=list(sessions) if sessions is not None else None,
            secret=secret,
            enabled=True,
        )


async def fan_out_all(pg: AsyncConnectionPool, webhook_id: UUID) -> int:
    """Turn the webhook's waiting events into deliveries now (what the sender does)."""
    made = 0
    async with pg.connection() as conn:
        while (step := await webhooks.fan_out(conn, webhook_id=webhook_id, batch=500)).scanned:
            made += step.scanned
    return made
