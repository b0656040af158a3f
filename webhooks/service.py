"""The sender's loop: while it holds the lock, turn new events into deliveries (fan-out), run the
lanes that have deliveries, prune past retention. Redis messages (a new event, a webhook
change) wake it at once; without them it looks every APP_EVENT_POLL_S, so nothing waits on Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from uuid import UUID

import aiohttp
import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.db.pool import make_pool
from shared.db.repos import deliveries, webhooks
from shared.db.repos.deliveries import Outcome, Queued
from shared.media.factory import media_store
from shared.media.retention import expire_media
from shared.resolver import PublicResolver
from shared.settings import Settings
from webhooks.attempt import Target, attempt
from webhooks.lanes import Lanes
from webhooks.leader import Leadership
from webhooks.pruner import prune
from webhooks.recorder import Recorder

log = logging.getLogger(__name__)

FAN_OUT_BATCH = 1000
RESCAN_EVERY_S = 30.0  # lanes with pending deliveries are looked up from the database this often


class Sender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.names = RedisNames.of(settings)
        self._wake = asyncio.Event()
        self._changed = True  # webhooks to (re)load and lanes to rescan
        self._targets: dict[UUID, Target] = {}
        self._last_rescan = self._last_prune = 0.0
        self._stop = asyncio.Event()
        self._client: aiohttp.ClientSession | None = None
        self._media = media_store(settings)  # for media retention

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def target(self, webhook_id: UUID) -> Target | None:
        return self._targets.get(webhook_id)

    async def run(self) -> None:
        pool = make_pool(self.settings.database_url, min_size=1, max_size=4)
        await pool.open(wait=False)
        redis = Redis.from_url(self.settings.redis_url, health_check_interval=30)
        leadership = Leadership(self.settings.database_url)
        recorder = Recorder(pool)
        async with self._http() as self._client:
            lanes = Lanes(pool, self.target, self._attempt, recorder.add, self._slots)
            tasks = [
                asyncio.create_task(self._listen(redis), name="webhooks-listen"),
                asyncio.create_task(recorder.run(), name="webhooks-recorder"),
            ]
            try:
                await self._lead(pool, leadership, lanes)
            finally:
                await lanes.stop()
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await recorder.flush()
                await leadership.release()
                await self._media.close()
                await redis.aclose()
                await pool.close()
        log.info("webhook sender stopped, delivered=%d", lanes.delivered)

    @property
    def _slots(self) -> int:
        return self.settings.webhook_concurrency

    def _http(self) -> aiohttp.ClientSession:
        resolver = None if self.settings.webhook_allow_private else PublicResolver()
        connector = aiohttp.TCPConnector(
            resolver=resolver, limit=self._slots, limit_per_host=self._slots
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.settings.webhook_timeout_s),
            cookie_jar=aiohttp.DummyCookieJar(),  # nothing one receiver sets reaches another
        )

    async def _attempt(self, target: Target, queued: Queued) -> Outcome:
        assert self._client is not None
        return await attempt(self._client, self.settings, target, queued)

    async def _lead(self, pool: AsyncConnectionPool, leadership: Leadership, lanes: Lanes) -> None:
        while not self._stop.is_set():
            if not leadership.held:
                if not await leadership.try_take():
                    await self._sleep(self.settings.event_poll_s)
                    continue
                self._changed = True
            elif not await leadership.still_held():
                await lanes.stop()
                continue
            try:
                await self._round(pool, lanes)
            except (PoolTimeout, psycopg.OperationalError) as exc:
                log.warning("webhook sender: database unavailable (%s)", exc)
            await self._sleep(self.settings.event_poll_s)

    async def _sleep(self, seconds: float) -> None:
        """Until woken (a Redis message, a stop request) or ``seconds`` pass."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        self._wake.clear()

    async def _round(self, pool: AsyncConnectionPool, lanes: Lanes) -> None:
        now = time.monotonic()
        rescan = self._changed or now - self._last_rescan > RESCAN_EVERY_S
        async with pool.connection() as conn:
            behind = await webhooks.behind(conn)
            pending = await deliveries.pending_lanes(conn) if rescan else []
            # a webhook this sender does not know yet (its notice was missed): load them all
            unknown = any(w not in self._targets for w in [*behind, *(k[0] for k in pending)])
            if self._changed or unknown or rescan:
                self._changed = False
                rows = await webhooks.every(conn)
                allow = self.settings.webhook_allow_private
                self._targets = {r.id: Target.of(r, allow_private=allow) for r in rows}
            for webhook_id in behind:
                while True:
                    step = await webhooks.fan_out(conn, webhook_id=webhook_id, batch=FAN_OUT_BATCH)
                    for key in step.lanes:
                        lanes.wake(key)
                    if step.scanned < FAN_OUT_BATCH:
                        break
        if rescan:
            self._last_rescan = now
            for key in pending:
                lanes.wake(key)
        if now - self._last_prune > self.settings.prune_interval_s:
            self._last_prune = now
            await prune(pool, retention_h=self.settings.event_retention_h)
            if self.settings.media_retention_days:
                await self._expire_media(pool)

    async def _expire_media(self, pool: AsyncConnectionPool) -> None:
        """Media retention rides on the pruning tick; a media store that fails (S3 down) is
        logged and tried again next tick, and never stops deliveries."""
        try:
            await expire_media(pool, self._media, days=self.settings.media_retention_days)
        except (PoolTimeout, psycopg.OperationalError):
            raise
        except Exception:
            log.exception(
                "media retention failed; trying again in %.0fs", self.settings.prune_interval_s
            )

    async def _listen(self, redis: Redis) -> None:
        """Wake on every message of the events and webhooks channels; reconnect with backoff."""
        backoff = 1.0
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.names.events_channel, self.names.webhooks_channel)
                    backoff = 1.0
                    async for msg in pubsub.listen():
                        if msg.get("type") != "message":
                            continue
                        channel = msg["channel"]
                        if isinstance(channel, bytes):
                            channel = channel.decode()
                        if channel == self.names.webhooks_channel:
                            self._changed = True
                        self._wake.set()
            except (RedisError, OSError) as exc:
                log.warning("webhook sender lost Redis (%s); polling, retry in %.0fs", exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)
