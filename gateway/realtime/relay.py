"""Reads the deployment's events and access channels from Redis; reconnects with backoff (1 s
doubling to 60 s) and logs why.

An event message only wakes the feed ("company C has event N"): what sockets receive is read
from the event log, whose rows name the company that owns the session (checked when they are
written), so a message naming the wrong company, or a forged one, delivers nothing. After every
(re)subscription the feed polls the log for what was published while nobody listened. Access
notices drop the user from the auth cache first, then re-check their sockets; the cache is
trusted only while subscribed. Both kinds of message forget their company's cached pages
(gateway/pagecache.py), which are likewise used only while subscribed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.auth.usercache import UserCache
from gateway.pagecache import PageCache
from gateway.realtime.feed import Feed
from shared import events
from shared.constants import RedisNames
from shared.notices import decode_access_changed

if TYPE_CHECKING:
    from gateway.realtime.hub import Hub

log = logging.getLogger(__name__)

MAX_WARNED = 1000


class Relay:
    def __init__(
        self,
        hub: Hub,
        redis: Redis,
        *,
        names: RedisNames,
        feed: Feed,
        user_cache: UserCache,
        page_cache: PageCache,
        registry: CollectorRegistry,
    ) -> None:
        self._hub = hub
        self._redis = redis
        self._names = names
        self._feed = feed
        self._user_cache = user_cache
        self._page_cache = page_cache
        self._warned: set[str] = set()
        self.dropped = Counter(
            "gateway_relay_dropped_total",
            "Messages on the events or access channel that could not be read (malformed)",
            ["reason"],
            registry=registry,
        )

    async def run(self) -> None:
        backoff = 1.0
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._names.events_channel, self._names.access_channel)
                    self._user_cache.trust(listening=True)
                    self._page_cache.trust(listening=True)
                    if backoff > 1:
                        log.info("event relay reconnected")
                    backoff = 1.0
                    await self._catch_up()
                    while True:
                        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if msg is not None:
                            await self._on_message(msg["channel"], msg["data"])
            except (RedisError, OSError) as exc:
                log.warning("event relay lost Redis (%s); retrying in %.0fs", exc, backoff)
            finally:  # notices could be missed from now on
                self._user_cache.trust(listening=False)
                self._page_cache.trust(listening=False)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)

    async def _catch_up(self) -> None:
        try:
            await self._feed.poll()
        except Exception as exc:  # the periodic poll tries again
            log.warning("event relay: catching up from the log failed (%s)", exc)

    async def _on_message(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            if name == self._names.access_channel:
                change = decode_access_changed(data)
                self._user_cache.forget(change.user_id)
                self._page_cache.forget(change.company_id)
                await self._hub.access_changed(change.company_id, change.user_id)
            else:
                company_id, event_id = events.decode_hint(data)
                self._page_cache.forget(company_id)  # before anything else of this wake-up
                self._feed.wake(company_id, event_id)
        except (ValidationError, ValueError, KeyError) as exc:
            self._drop("malformed", f"relay dropped a malformed message on {name}: {exc}")
        except Exception:  # one bad message must not stop the relay
            log.exception("relay failed to handle a message on %s", name)

    def _drop(self, reason: str, message: str) -> None:
        """Count every drop; log the first of each reason (bounded: a flood of bad messages
        must not flood the log)."""
        self.dropped.labels(reason).inc()
        if reason not in self._warned and len(self._warned) < MAX_WARNED:
            self._warned.add(reason)
            log.warning("%s (counted in gateway_relay_dropped_total{reason=%s})", message, reason)
