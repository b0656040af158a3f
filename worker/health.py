"""``python -m worker.health``: exit 0 while this worker's heartbeat (``wa:worker:{id}``) is in
Redis, 1 otherwise. The container health check of the Swarm stack; settings from the environment
(APP_WORKER_ID must name the worker, as the stack sets it)."""

from __future__ import annotations

import asyncio
import sys

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.settings import Settings


async def heartbeat_present(settings: Settings) -> bool:
    client = Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)
    try:
        return bool(await client.exists(RedisNames.of(settings).worker_key(settings.worker_id)))
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


def main() -> None:
    settings = Settings()
    alive = asyncio.run(heartbeat_present(settings))
    print(f"worker={settings.worker_id} heartbeat={'present' if alive else 'missing'}")
    sys.exit(0 if alive else 1)


if __name__ == "__main__":
    main()
