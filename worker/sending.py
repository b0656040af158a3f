"""Sending a text once: open the chat, type, confirm by its row; ``unconfirmed`` when the row is
late (reconciled by capture, never re-sent), ``failed`` when it could not be sent at all.

A redelivered job (its Redis guard is already set) first looks for its message on the page and
adopts it, so a crash between typing and recording never sends twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from shared import jobs
from shared.constants import RedisNames
from shared.jids import is_phone
from shared.settings import Settings
from worker.browser import actions
from worker.browser.actions import PageError
from worker.publisher import Publisher

if TYPE_CHECKING:
    from worker.capture import Capture, PageCall

log = logging.getLogger(__name__)

GUARD_TTL_S = 86400


class Sender:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        redis: Redis,
        capture: Capture,
        call: PageCall,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._redis = redis
        self._capture = capture
        self._call = call
        self._timeout = settings.page_timeout_s

    async def send(self, job: jobs.SendText) -> None:
        """Called under the runtime's page lock."""
        guard = RedisNames.of(self._settings).send_guard_key(str(job.message_id))
        first_try = bool(
            await self._redis.set(guard, self._settings.worker_id, nx=True, ex=GUARD_TTL_S)
        )
        times = self._capture.times
        try:
            await self._open_target(job)
            if not first_try:
                found = await self._call(actions.find_sent, job.body, times)
                if found and await self._publisher.adopt(
                    job.message_id, found.wa_msg_id, found.ack, why="found already sent, not resent"
                ):
                    self._capture.sent(found)
                    return
            before = await self._call(actions.type_and_send, job.body, False, self._timeout)
        except PageError as exc:
            await self._publisher.failed(job.message_id, f"{exc.reason}: {exc}")
            return
        row = await self._call(
            actions.wait_sent_row, job.body, before, times, self._settings.send_confirm_s
        )
        if row is None:
            await self._publisher.unconfirmed(job.message_id)
            self._capture.expect_unconfirmed()
            return
        if row.ack == "failed":
            await self._publisher.failed(job.message_id, "send_failed: WhatsApp did not send it")
            return
        await self._publisher.sent(job.message_id, row.wa_msg_id, row.ack)
        self._capture.sent(row)

    async def _open_target(self, job: jobs.SendText) -> None:
        if job.to_phone is not None:
            await self._open_by_phone(job.to_phone)
            return
        assert job.wa_chat_id is not None
        await self.open_chat_of(job.wa_chat_id)

    async def _open_by_phone(self, phone: str) -> str:
        title: str = await self._call(
            actions.open_chat_by_phone, self._settings.wa_url, phone, self._timeout
        )
        self._capture.opened(title, phone)
        await self._capture.read_open_chat()  # resolves (and merges) the chat it shows
        return title

    async def open_chat_of(self, wa_chat_id: str) -> str:
        """Open a stored chat: by its name in the chat list, else by its number; its title."""
        chat = await self._publisher.chat_by_wa_id(wa_chat_id)
        phone_id = chat.phone_jid if chat and chat.phone_jid else wa_chat_id
        name = chat.name if chat and chat.name else None
        if name is not None:
            try:
                await self._call(actions.open_chat_by_name, name, self._timeout)
            except PageError:
                if not is_phone(phone_id):
                    raise
            else:
                self._capture.opened(name)
                await self._capture.read_open_chat()
                return name
        if not is_phone(phone_id):
            raise PageError("chat_not_found", f"no chat {wa_chat_id} on the page")
        return await self._open_by_phone(phone_id.split("@", 1)[0])
