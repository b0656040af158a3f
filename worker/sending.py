"""Sending a text or a file once through the bridge: ``sent`` with WhatsApp's id (recorded before
anything else), ``unconfirmed`` when the bridge could not confirm it (reconciled by capture, never
re-sent), ``failed`` when it could not be sent at all.

A redelivered job (its Redis guard is already set) first looks for its message and adopts it, so
a crash between sending and recording never sends twice.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis

from shared import jobs
from shared.constants import RedisNames
from shared.media.store import MediaMissing, MediaStore
from shared.settings import Settings
from worker.browser.bridge import Bridge
from worker.browser.errors import PageError
from worker.browser.observed import OutgoingFile, SendOutcome, Target
from worker.capture import Capture
from worker.publisher import Publisher

log = logging.getLogger(__name__)

GUARD_TTL_S = 86400


class Sender:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        redis: Redis,
        capture: Capture,
        store: MediaStore,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._redis = redis
        self._capture = capture
        self._store = store

    async def send(self, bridge: Bridge, job: jobs.SendText, *, retry: bool = False) -> None:
        """Called under the runtime's page lock; ``retry``: this job already reached a bridge
        in this run (which broke), so it is looked for before it is sent."""
        guard = RedisNames.of(self._settings).send_guard_key(str(job.message_id))
        first_try = bool(
            await self._redis.set(guard, self._settings.worker_id, nx=True, ex=GUARD_TTL_S)
        )
        target = Target(wa_chat_id=job.wa_chat_id, phone=job.to_phone)
        try:
            if (retry or not first_try) and await self._adopt_if_sent(bridge, job, target):
                return
            outcome = await bridge.send_text(target, job.body)
        except PageError as exc:
            await self._publisher.failed(job.message_id, f"{exc.reason}: {exc}")
            return
        await self._record(job, outcome)

    async def send_media(self, bridge: Bridge, job: jobs.SendMedia, *, retry: bool = False) -> None:
        """The stored file ``job.sha256``, sent once (as ``send``; the file is read first)."""
        try:
            data = await self._store.read_all(self._publisher.company_id, job.sha256)
        except MediaMissing:
            await self._publisher.failed(job.message_id, "media_missing: the file is not stored")
            return
        file = OutgoingFile(job.kind, job.mime, data, job.file_name, job.caption)
        guard = RedisNames.of(self._settings).send_guard_key(str(job.message_id))
        first_try = bool(
            await self._redis.set(guard, self._settings.worker_id, nx=True, ex=GUARD_TTL_S)
        )
        target = Target(wa_chat_id=job.wa_chat_id, phone=job.to_phone)
        try:
            if (retry or not first_try) and await self._adopt_if_sent(
                bridge, job, target, file=file
            ):
                return
            outcome = await bridge.send_media(target, file)
        except PageError as exc:
            await self._publisher.failed(job.message_id, f"{exc.reason}: {exc}")
            return
        await self._record(job, outcome)

    async def _adopt_if_sent(
        self,
        bridge: Bridge,
        job: jobs.SendText | jobs.SendMedia,
        target: Target,
        *,
        file: OutgoingFile | None = None,
    ) -> bool:
        message = await self._capture.stored(job.message_id)
        since = message.created_at if message is not None else None
        if since is None:
            found = SendOutcome(None)
        elif file is not None:
            found = await bridge.find_sent_media(target, file, since)
        else:
            assert isinstance(job, jobs.SendText)
            found = await bridge.find_sent(target, job.body, since)
        await self._capture.record(found.seen)
        if found.wa_msg_id is None:
            return False
        return await self._capture.adopt(
            job.message_id, found.wa_msg_id, found.ack, why="found already sent, not resent"
        )

    async def _record(self, job: jobs.SendText | jobs.SendMedia, outcome: SendOutcome) -> None:
        await self._capture.record(outcome.seen)  # the page bridge read these before typing
        if outcome.wa_msg_id is None:
            await self._publisher.unconfirmed(job.message_id)
            self._capture.expect_unconfirmed()
            return
        await self._publisher.sent(job.message_id, outcome.wa_msg_id, outcome.ack)
        self._capture.sent(outcome.wa_msg_id, outcome.ack)
        if outcome.chat is not None:  # the chat's ids as WhatsApp has them (one person, one chat)
            await self._capture.chat(outcome.chat)
