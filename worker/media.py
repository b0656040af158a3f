"""Downloading the files of captured messages into the media store, between long-polls.

A captured media message queues its file here; the runtime lets the fetcher work under its page
lock once per tick (a few files at most, so commands and new messages keep their pace). A file is
downloaded through the bridge, stored (``media_store.put``: once per company and sha256) and
recorded with its ``message_media`` event. A failed download is tried again with exponential
backoff (``due_retries``), ``APP_MEDIA_ATTEMPTS`` times in all, then stays ``failed`` (shown as
unavailable) until a ``retry_media`` job. A file over ``APP_MEDIA_MAX_MB`` is never downloaded.
Each outcome is counted (``wa:media``) and each kind of failure logged once per session.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.db.repos import media as media_repo
from shared.media.store import MediaStore
from shared.settings import Settings
from worker.browser.bridge import Bridge, BridgeBroken
from worker.browser.errors import PageError
from worker.browser.observed import MediaRef
from worker.publisher import Publisher

log = logging.getLogger(__name__)

MB = 1024 * 1024
BACKOFF_S = 5.0  # the first retry; each next one waits twice as long
BACKOFF_MAX_S = 600.0
RETRY_CHECK_S = 30.0  # due retries (also those of earlier runs) are looked up at least this often
PER_TICK = 4  # files downloaded per long-poll tick at most
DUE_BATCH = 20


@dataclass(frozen=True)
class Wanted:
    message_id: UUID
    chat_id: UUID
    ref: MediaRef
    mime: str
    size: int | None  # what WhatsApp said (None: not known before the download)


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed ones (5 s, 10 s, 20 s ... 10 min)."""
    return timedelta(seconds=min(BACKOFF_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


class MediaFetcher:
    def __init__(
        self, settings: Settings, publisher: Publisher, store: MediaStore, redis: Redis
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._store = store
        self._redis = redis
        self._counts = RedisNames.of(settings).media_counts
        self._queue: deque[Wanted] = deque()
        self._queued: set[UUID] = set()
        self._checked = 0.0  # monotonic time of the last due_retries look-up
        self._due_at: float | None = None  # the earliest retry this run scheduled (monotonic)
        self._logged: set[str] = set()

    def want(self, wanted: Wanted) -> None:
        """Download this file soon (once, however often it is asked for)."""
        if wanted.message_id not in self._queued:
            self._queued.add(wanted.message_id)
            self._queue.append(wanted)

    def look_again(self) -> None:
        """A retry was asked for: look for due files on the next tick."""
        self._checked = 0.0

    def wait_s(self, longest: float) -> float:
        """How long the next long-poll may wait: not past the next due retry."""
        if self._queue:
            return 0.0
        due = min(self._due_at or math.inf, self._checked + RETRY_CHECK_S)
        return max(0.0, min(longest, due - time.monotonic()))

    async def work(self, bridge: Bridge) -> int:
        """Download what is queued or due (a few files); returns how many were tried. Called
        under the runtime's page lock; ``BridgeBroken`` goes up (the file stays queued)."""
        now = time.monotonic()
        if now - self._checked >= RETRY_CHECK_S or (self._due_at and now >= self._due_at):
            self._checked, self._due_at = now, None
            await self._queue_due()
        tried = 0
        while self._queue and tried < PER_TICK:
            wanted = self._queue.popleft()
            broken = False
            try:
                await self._fetch(bridge, wanted)
            except BridgeBroken:
                broken = True
                raise
            finally:
                if broken:  # tried again on the page bridge
                    self._queue.appendleft(wanted)
                else:  # done, or the page failed: its row's next_attempt_at brings it back
                    self._queued.discard(wanted.message_id)
            tried += 1
        return tried

    async def _queue_due(self) -> None:
        session_id = self._publisher.session_id
        async with self._publisher.pg.connection() as conn:
            due = await media_repo.due_retries(
                conn, session_id=session_id, now=datetime.now(UTC), limit=DUE_BATCH
            )
            due = [row for row in due if row.message_id not in self._queued]
            sources = await media_repo.worker_sources(
                conn, session_id=session_id, message_ids=[row.message_id for row in due]
            )
        for row in due:
            found = sources.get(row.message_id)
            if found is None:
                continue
            wa_msg_id, wa_chat_id, from_me, chat_id = found
            ref = MediaRef(wa_msg_id, wa_chat_id, from_me)
            self.want(Wanted(row.message_id, chat_id, ref, row.mime, row.size))

    async def _fetch(self, bridge: Bridge, wanted: Wanted) -> None:
        limit = self._settings.media_max_mb * MB
        if wanted.size is not None and wanted.size > limit:
            await self._too_large(wanted, wanted.size)
            return
        try:
            data = await bridge.download_media(wanted.ref)
        except PageError as exc:
            await self._failed(wanted, f"{exc.reason}: {exc}")
            return
        if len(data) > limit:
            await self._too_large(wanted, len(data))
            return
        if not data:
            await self._failed(wanted, "empty: WhatsApp gave an empty file")
            return
        try:
            blob = await self._store.put(self._publisher.company_id, data)
        except OSError as exc:  # the store is full or unreachable: tried again later
            await self._failed(wanted, f"store_failed: {exc}")
            return
        await self._publisher.media_stored(wanted.message_id, wanted.chat_id, blob, wanted.mime)
        await self._count("stored")

    async def _too_large(self, wanted: Wanted, size: int) -> None:
        error = (
            f"too_large: {size} bytes, over APP_MEDIA_MAX_MB={self._settings.media_max_mb}"
            " (not downloaded)"
        )
        await self._publisher.media_failed(wanted.message_id, wanted.chat_id, error, None)
        await self._count("too_large", error)

    async def _failed(self, wanted: Wanted, error: str) -> None:
        """Tried again later with backoff; after APP_MEDIA_ATTEMPTS, not before a retry job."""
        async with self._publisher.pg.connection() as conn:
            row = await media_repo.get(
                conn, company_id=self._publisher.company_id, message_id=wanted.message_id
            )
        attempts = (row.attempts if row else 0) + 1
        final = attempts >= self._settings.media_attempts
        retry_at = None if final else datetime.now(UTC) + backoff(attempts)
        if not final:
            due = time.monotonic() + backoff(attempts).total_seconds()
            self._due_at = min(self._due_at or math.inf, due)
        await self._publisher.media_failed(wanted.message_id, wanted.chat_id, error, retry_at)
        await self._count("gave_up" if final else "failed", error)

    async def _count(self, outcome: str, error: str | None = None) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(self._counts, outcome, 1)
                await pipe.execute()
        except RedisError as exc:
            log.warning("media counter not updated: %s", exc)
        kind = f"{outcome}:{(error or '').split(':', 1)[0]}"
        if error is not None and kind not in self._logged:
            self._logged.add(kind)
            log.warning(
                "session=%s media %s: %s (logged once per kind)",
                self._publisher.session_id,
                outcome,
                error[:200],
            )
