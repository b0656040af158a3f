"""Reads the deployment's events and access channels from Redis and hands them to the hub;
reconnects with backoff (1 s doubling to 60 s) and logs why.

An event is delivered only to the company that owns its session: the relay looks the session up
in Postgres (cached; a session never changes company) and drops, counts and logs an event whose
envelope names another company or an unknown session. Access notices drop the user from the auth
cache first, then re-check their sockets; the cache is trusted only while subscribed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING
from uuid import UUID

import psycopg
from prometheus_client import CollectorRegistry, Counter
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.auth.usercache import UserCache
from gateway.realtime import rooms
from gateway.realtime.payloads import to_root, to_socket
from shared import events
from shared.constants import RedisNames
from shared.db.repos import sessions
from shared.notices import decode_access_changed

if TYPE_CHECKING:
    from gateway.realtime.hub import Hub

log = logging.getLogger(__name__)

MAX_CACHED_SESSIONS = 100_000
MAX_WARNED = 1000


class Relay:
    def __init__(
        self,
        hub: Hub,
        redis: Redis,
        *,
        names: RedisNames,
        pg: AsyncConnectionPool,
        user_cache: UserCache,
        registry: CollectorRegistry,
    ) -> None:
        self._hub = hub
        self._redis = redis
        self._names = names
        self._pg = pg
        self._user_cache = user_cache
        self._companies: dict[UUID, UUID] = {}  # session id -> its company
        self._warned: set[str] = set()
        self.relayed = 0
        self.dropped = Counter(
            "gateway_relay_dropped_total",
            "Events not delivered: the session is unknown, belongs to another company than the"
            " envelope says, could not be checked (Postgres down), or the message was malformed",
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
                    if backoff > 1:
                        log.info("event relay reconnected")
                    backoff = 1.0
                    while True:
                        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if msg is not None:
                            await self._on_message(msg["channel"], msg["data"])
            except (RedisError, OSError) as exc:
                log.warning("event relay lost Redis (%s); retrying in %.0fs", exc, backoff)
            finally:  # notices could be missed from now on
                self._user_cache.trust(listening=False)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)

    async def _on_message(self, channel: bytes | str, data: bytes | str) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            if name == self._names.access_channel:
                change = decode_access_changed(data)
                self._user_cache.forget(change.user_id)
                await self._hub.access_changed(change.company_id, change.user_id)
            else:
                await self.dispatch(events.decode(data))
        except (ValidationError, ValueError, KeyError) as exc:
            self._drop("malformed", f"relay dropped a malformed message on {name}: {exc}")
        except Exception:  # one bad delivery must not stop the relay
            log.exception("relay failed to deliver a message on %s", name)

    async def dispatch(self, event: events.Event) -> None:
        owner = await self._owner(event.session_id)
        if owner is None:
            return
        if owner != event.company_id:
            self._drop(
                "company_mismatch",
                f"relay dropped events of session={event.session_id}: the envelope says"
                f" company={event.company_id}, the session belongs to another",
                event.session_id,
            )
            return
        hub = self._hub
        await hub.deliver(owner, event.session_id, to_socket(event), rooms.NAMESPACE)
        root = to_root(event)
        if root is not None and await hub.default_session(owner) == event.session_id:
            await hub.deliver(owner, event.session_id, root, rooms.ROOT)
        self.relayed += 1

    async def _owner(self, session_id: UUID) -> UUID | None:
        """The session's company, or None (counted) when it cannot be known."""
        cached = self._companies.get(session_id)
        if cached is not None:
            return cached
        try:
            async with self._pg.connection() as conn:
                row = await sessions.worker_get(conn, session_id=session_id)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self._drop("unverified", f"relay could not check a session (postgres: {exc})")
            return None
        if row is None:  # deleted (its last events may still be in flight) or never existed
            message = f"relay dropped events of unknown session={session_id}"
            self._drop("unknown_session", message, session_id)
            return None
        if len(self._companies) >= MAX_CACHED_SESSIONS:
            self._companies.clear()
        self._companies[session_id] = row.company_id
        return row.company_id

    def _drop(self, reason: str, message: str, subject: object = None) -> None:
        """Count every drop; log the first of each reason and subject (bounded: a flood of bad
        events must not flood the log)."""
        self.dropped.labels(reason).inc()
        key = f"{reason}:{subject}"
        if key not in self._warned and len(self._warned) < MAX_WARNED:
            self._warned.add(key)
            log.warning("%s (counted in gateway_relay_dropped_total{reason=%s})", message, reason)
