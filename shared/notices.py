"""Gateway-to-gateway notices on Redis pub/sub (not domain events): rights changed for a manager.

Every gateway listens on ``ACCESS_CHANNEL`` and re-checks that manager's live sockets.
"""

from __future__ import annotations

import logging
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import ACCESS_CHANNEL
from shared.events import Wire

log = logging.getLogger(__name__)


class AccessChanged(Wire):
    """Wire form: ``{"companyId": "...", "managerId": "..."}``."""

    company_id: UUID
    manager_id: UUID


async def publish_access_changed(redis: Redis, *, company_id: UUID, manager_id: UUID) -> int:
    """Returns how many gateways received it."""
    notice = AccessChanged(company_id=company_id, manager_id=manager_id)
    return int(await redis.publish(ACCESS_CHANNEL, notice.model_dump_json(by_alias=True)))


def decode_access_changed(raw: str | bytes) -> AccessChanged:
    return AccessChanged.model_validate_json(raw)


async def announce_access_changed(redis: Redis, *, company_id: UUID, manager_id: UUID) -> None:
    """Publish, never fail: the change is committed; a lost notice only delays the re-check."""
    try:
        await publish_access_changed(redis, company_id=company_id, manager_id=manager_id)
    except RedisError as exc:
        log.warning("access change of manager=%s not announced: %s", manager_id, exc)
