"""Gateway-to-gateway notices on Redis pub/sub (not domain events): a user's rights or status
changed (grant, revoke, disabled, deleted).

Every gateway listens on the access channel: it drops the user from its auth cache and re-checks
the user's live sockets at once.
"""

from __future__ import annotations

import logging
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.events import Wire

log = logging.getLogger(__name__)


class AccessChanged(Wire):
    """Wire form: ``{"companyId": "..." | null, "userId": "..."}`` (operators have no company)."""

    company_id: UUID | None
    user_id: UUID


async def publish_access_changed(
    redis: Redis, names: RedisNames, *, company_id: UUID | None, user_id: UUID
) -> int:
    """Returns how many gateways received it."""
    notice = AccessChanged(company_id=company_id, user_id=user_id)
    return int(await redis.publish(names.access_channel, notice.model_dump_json(by_alias=True)))


def decode_access_changed(raw: str | bytes) -> AccessChanged:
    return AccessChanged.model_validate_json(raw)


async def announce_access_changed(
    redis: Redis, names: RedisNames, *, company_id: UUID | None, user_id: UUID
) -> None:
    """Publish, never fail: the change is committed. A gateway that misses the notice because it
    is cut from Redis does not trust its auth cache meanwhile (gateway/auth/usercache.py)."""
    try:
        await publish_access_changed(redis, names, company_id=company_id, user_id=user_id)
    except RedisError as exc:
        log.warning("access change of user=%s not announced: %s", user_id, exc)


async def announce_webhooks_changed(redis: Redis, names: RedisNames) -> None:
    """Wake the webhook sender now (it also looks every APP_EVENT_POLL_S by itself)."""
    try:
        await redis.publish(names.webhooks_channel, "changed")
    except RedisError as exc:
        log.warning("webhooks change not announced (%s); the sender's next poll finds it", exc)
