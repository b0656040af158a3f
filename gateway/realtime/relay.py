"""Reads ``wa:events`` and ``wa:access`` from Redis and hands them to the hub; reconnects with
backoff (1 s doubling to 60 s) and logs why."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.realtime import rooms
from gateway.realtime.payloads import to_root, to_socket
from shared import events
from shared.constants import ACCESS_CHANNEL, EVENTS_CHANNEL
from shared.notices import decode_access_changed

if TYPE_CHECKING:
    from gateway.realtime.hub import Hub

log = logging.getLogger(__name__)


class Relay:
    def __init__(self, hub: Hub, redis: Redis) -> None:
        self._hub = hub
        self._redis = redis
        self.relayed = 0

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(EVENTS_CHANNEL, ACCESS_CHANNEL)
                    if backoff > 1:
                        log.info("event relay reconnected")
                    backoff = 1.0
                    while True:
                        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if msg is not None:
                            await self._on_message(msg["channel"], msg["data"])
            except (RedisError, OSError) as exc:
                log.warning("event relay lost Redis (%s); retrying in %.0fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _on_message(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            if name == ACCESS_CHANNEL:
                change = decode_access_changed(data)
                await self._hub.access_changed(change.company_id, change.manager_id)
            else:
                await self.dispatch(events.decode(data))
        except (ValidationError, ValueError, KeyError) as exc:
            log.warning("relay dropped a malformed message on %s: %s", name, exc)
        except Exception:  # one bad delivery must not stop the relay
            log.exception("relay failed to deliver a message on %s", name)

    async def dispatch(self, event: events.Event) -> None:
        hub = self._hub
        await hub.deliver(event.company_id, event.session_id, to_socket(event), rooms.NAMESPACE)
        root = to_root(event)
        if root is not None and await hub.default_session(event.company_id) == event.session_id:
            await hub.deliver(event.company_id, event.session_id, root, rooms.ROOT)
        self.relayed += 1
