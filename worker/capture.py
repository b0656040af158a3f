"""Store what the open chat shows: its identity from context, each message once, acks forward,
and late rows of ``unconfirmed`` sends reconciled to ``sent`` (never stored as new messages).

Also the two ways chats get read: those with an unread badge, and the catch-up sync of the most
recent ones. Called under the runtime's page lock; page work goes through the browser thread.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from shared.db.types import Chat, Message
from worker.browser import actions, pages
from worker.browser.actions import PageError, normalized
from worker.browser.drift import Drift, DriftKind
from worker.browser.pages import ChatView, Row, UnreadChat
from worker.browser.times import TimeReader
from worker.chat_ids import ChatIds, from_context, page_ids
from worker.drift_report import DriftReporter
from worker.publisher import Publisher

log = logging.getLogger(__name__)

# a late row matches an unconfirmed send only if its (minute-precision) time is not older
UNCONFIRMED_SLACK = timedelta(minutes=2)

PageCall = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Opened:
    """How the worker opened the chat now on screen."""

    title: str
    phone: str | None = None  # opened by deep link to this number


class Capture:
    def __init__(
        self,
        publisher: Publisher,
        drift: DriftReporter,
        call: PageCall,
        locale: str,
        timeout_s: float,
    ) -> None:
        self._publisher = publisher
        self._timeout = timeout_s
        self._drift = drift
        self._call = call
        self.times = TimeReader(locale)
        self._opened: Opened | None = None
        self._chats: dict[str, tuple[ChatIds, Chat]] = {}
        self._seen: set[str] = set()
        self._acks: dict[str, str] = {}
        self._maybe_unconfirmed = True  # the session may have some from before a restart

    # --- context ---------------------------------------------------------------------------

    def opened(self, title: str, phone: str | None = None) -> None:
        self._opened = Opened(title, phone)

    def expect_unconfirmed(self) -> None:
        self._maybe_unconfirmed = True

    def sent(self, row: Row) -> None:
        """A send confirmed by its row: nothing more to store for it."""
        self._seen.add(row.wa_msg_id)
        self._acks[row.wa_msg_id] = row.ack or "sent"

    async def chat_of(self, view: ChatView) -> Chat:
        """The stored chat the view belongs to (resolved once per title, again when the context
        brings an id not known yet)."""
        phone = self._opened.phone if self._opened and self._opened.title == view.name else None
        cached = self._chats.get(view.name)
        stored = cached[1] if cached else await self._publisher.chat_by_name(view.name)
        ids = from_context(view.name, opened_phone=phone, stored=stored, hints=view.chat_hints)
        if cached and (ids is None or ids.all <= cached[0].all):
            return cached[1]
        if ids is None:
            ids = await self._from_drawer(view.name)
        chat, merged = await self._publisher.resolve_chat(ids, view.name)
        if merged:  # forget titles that pointed at rows that are gone now
            gone = set(merged)
            self._chats = {t: c for t, c in self._chats.items() if c[1].id not in gone}
        known = ChatIds(chat.wa_chat_id, chat.phone_jid, chat.lid, chat.is_group)
        self._chats[view.name] = (known, chat)
        return chat

    async def _from_drawer(self, title: str) -> ChatIds:
        try:
            info = await self._call(actions.read_chat_info)
        except PageError as exc:
            log.info("session=%s chat info unreadable: %s", self._publisher.session_id, exc)
            info = actions.ChatInfo(phone=None, is_group=False)
        ids = from_context(title, info_phone=info.phone, info_group=info.is_group)
        if ids is None or ids.page_only:
            await self._drift.report([Drift.of(DriftKind.CHAT_ID_UNRESOLVED, title, key=title)])
            return page_ids(title, is_group=info.is_group)
        return ids

    # --- rows ------------------------------------------------------------------------------

    async def unread(self, chats: tuple[UnreadChat, ...]) -> None:
        """Open and read every chat with an unread badge."""
        for chat in chats:
            await self._call(actions.open_chat_by_name, chat.name, self._timeout)
            self.opened(chat.name)
            await self.read_open_chat()

    async def sync(self, limit: int) -> None:
        """The most recent chats (at most ``limit``), read in full: catches up whatever came
        while no worker was watching."""
        listed, drift = await self._call(pages.list_chats, limit)
        await self._drift.report(drift)
        for chat in reversed(listed):  # oldest first, so the newest chat stays open
            try:
                await self._call(actions.open_chat_by_name, chat.name, self._timeout)
                self.opened(chat.name)
                await self.read_open_chat()
            except PageError as exc:
                log.warning(
                    "session=%s sync skipped chat %r: %s",
                    self._publisher.session_id,
                    chat.name,
                    exc,
                )
        log.info("session=%s synced chats=%d", self._publisher.session_id, len(listed))

    async def read_open_chat(self) -> None:
        await self.store(await self._call(pages.read_open_chat, self.times))

    async def drain(self) -> None:
        await self.store(await self._call(pages.drain_observed, self.times))

    async def store(self, view: ChatView) -> None:
        if view.drift:
            await self._drift.report(view.drift)
        if not view.rows:
            return
        chat = await self.chat_of(view)
        for row in view.rows:
            if row.wa_msg_id in self._seen:
                await self._track_ack(row)
                continue
            if row.direction == "out" and await self._reconcile(chat, row):
                continue
            _, created = await self._publisher.observed(
                chat,
                wa_msg_id=row.wa_msg_id,
                direction=row.direction,
                sender=row.sender,
                body=row.body,
                status="read" if row.direction == "in" else (row.ack or "sent"),
                wa_timestamp=row.timestamp,
            )
            self._seen.add(row.wa_msg_id)
            if not created:
                await self._track_ack(row)
            elif row.ack:
                self._acks[row.wa_msg_id] = row.ack

    async def _track_ack(self, row: Row) -> None:
        if row.direction == "out" and row.ack and self._acks.get(row.wa_msg_id) != row.ack:
            self._acks[row.wa_msg_id] = row.ack
            if row.ack in ("delivered", "read"):
                await self._publisher.ack(row.wa_msg_id, row.ack)

    async def _reconcile(self, chat: Chat, row: Row) -> bool:
        """A new outgoing row that is the late row of an ``unconfirmed`` send: confirm that
        send (same message, no new one) instead of storing the row as sent from the phone."""
        if not self._maybe_unconfirmed:
            return False
        waiting = await self._publisher.unconfirmed_sends()
        if not waiting:
            self._maybe_unconfirmed = False
            return False
        match = next((m for m in waiting if _matches(m, chat, row)), None)
        if match is None or await self._publisher.known_message(row.wa_msg_id):
            return False
        if not await self._publisher.adopt(
            match.id, row.wa_msg_id, row.ack, why="confirmed: its row appeared (was unconfirmed)"
        ):
            return False
        self.sent(row)
        return True


def _matches(message: Message, chat: Chat, row: Row) -> bool:
    return (
        message.chat_id == chat.id
        and normalized(message.body) == normalized(row.body)
        and row.timestamp >= message.created_at - UNCONFIRMED_SLACK
    )
