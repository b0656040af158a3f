"""Store what the bridge observed: each message once in its one chat, acks forward, and late copies
of ``unconfirmed`` sends reconciled to ``sent`` (never stored as new messages).

Also the bridge's window on the stored chats (``ChatDirectory``) and the catch-up cursors (the
last stored message of each chat). Called under the runtime's page lock.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from uuid import UUID

from shared.db.repos import messages as message_repo
from shared.db.types import Chat, Message
from worker.browser.observed import (
    AckChange,
    ChatRef,
    Cursor,
    MediaRef,
    ObservedMessage,
    normalized,
)
from worker.media import MediaFetcher, Wanted
from worker.publisher import Publisher

log = logging.getLogger(__name__)

# a late copy matches an unconfirmed send only if its time is not older than this before it
UNCONFIRMED_SLACK = timedelta(minutes=2)
MAX_REMEMBERED = 50_000  # message ids seen in this run (acks are tracked for these)


class Capture:
    def __init__(self, publisher: Publisher, media: MediaFetcher | None = None) -> None:
        self._publisher = publisher
        self._media = media
        self._chats: dict[ChatRef, Chat] = {}
        self._seen: set[str] = set()
        self._acks: dict[str, str] = {}
        self._maybe_unconfirmed = True  # the session may have some from before a restart

    # --- the bridge's view of the stored chats (ChatDirectory) ------------------------------

    async def by_name(self, name: str) -> ChatRef | None:
        return _ref(await self._publisher.chat_by_name(name))

    async def by_wa_id(self, wa_chat_id: str) -> ChatRef | None:
        return _ref(await self._publisher.chat_by_wa_id(wa_chat_id))

    async def cursors(self, limit: int) -> list[Cursor]:
        """The last stored message of the ``limit`` chats with the latest activity."""
        async with self._publisher.pg.connection() as conn:
            rows = await message_repo.worker_last_per_chat(
                conn, session_id=self._publisher.session_id, limit=limit
            )
        return [
            Cursor(ChatRef(c.wa_chat_id, c.phone_jid, c.lid, c.is_group, c.name), wa_id, at)
            for c, wa_id, at in rows
        ]

    # --- storing ----------------------------------------------------------------------------

    def expect_unconfirmed(self) -> None:
        self._maybe_unconfirmed = True

    def sent(self, wa_msg_id: str, ack: str | None) -> None:
        """A send recorded under this id: its copy in the next observation is no new message."""
        self._remember(wa_msg_id)
        self._acks[wa_msg_id] = ack or "sent"

    async def chat(self, ref: ChatRef) -> Chat:
        """The stored chat of these ids (resolved once per set of ids; rows found to be the same
        person are merged)."""
        cached = self._chats.get(ref)
        if cached is not None:
            return cached
        chat, merged = await self._publisher.resolve_chat(ref, ref.name)
        if merged:  # forget ids that pointed at rows that are gone now
            gone = set(merged)
            self._chats = {r: c for r, c in self._chats.items() if c.id not in gone}
        self._chats[ref] = chat
        return chat

    async def record(self, observed: Iterable[ObservedMessage]) -> None:
        for message in observed:
            await self._one(message)

    async def _one(self, m: ObservedMessage) -> None:
        chat = await self.chat(m.chat)  # also for a message seen before: its chat may say more
        if m.wa_msg_id in self._seen:
            await self._track_ack(m.wa_msg_id, m.direction, m.ack)
            return
        if m.direction == "out" and await self._reconcile(chat, m):
            return
        stored, created = await self._publisher.observed(
            chat,
            wa_msg_id=m.wa_msg_id,
            direction=m.direction,
            sender=m.sender,
            body=m.body,
            status="read" if m.direction == "in" else (m.ack or "sent"),
            wa_timestamp=m.timestamp,
            msg_type=m.msg_type,
            media=m.media,
        )
        if created and m.media is not None and self._media is not None:
            ref = MediaRef(m.wa_msg_id, chat.wa_chat_id, m.direction == "out", m.media.source)
            self._media.want(Wanted(stored.id, chat.id, ref, m.media.mime, m.media.size))
        self._remember(m.wa_msg_id)
        if not created:
            await self._track_ack(m.wa_msg_id, m.direction, m.ack)
        elif m.ack:
            self._acks[m.wa_msg_id] = m.ack

    async def acks(self, changes: Iterable[AckChange]) -> None:
        for change in changes:
            await self._track_ack(change.wa_msg_id, "out", change.status)

    async def _track_ack(self, wa_msg_id: str, direction: str, ack: str | None) -> None:
        if direction == "out" and ack and self._acks.get(wa_msg_id) != ack:
            self._acks[wa_msg_id] = ack
            if ack in ("delivered", "read"):
                await self._publisher.ack(wa_msg_id, ack)

    def _remember(self, wa_msg_id: str) -> None:
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
            self._acks.clear()
        self._seen.add(wa_msg_id)

    async def _reconcile(self, chat: Chat, m: ObservedMessage) -> bool:
        """A new outgoing message that is the late copy of an ``unconfirmed`` send: confirm that
        send (same message, no new one) instead of storing it as sent from the phone."""
        if not self._maybe_unconfirmed:
            return False
        waiting = await self._publisher.unconfirmed_sends()
        if not waiting:
            self._maybe_unconfirmed = False
            return False
        match = next((w for w in waiting if _matches(w, chat, m)), None)
        if match is None or await self._publisher.known_message(m.wa_msg_id):
            return False
        if not await self._publisher.adopt(
            match.id, m.wa_msg_id, m.ack, why="confirmed: its copy appeared (was unconfirmed)"
        ):
            return False
        self.sent(m.wa_msg_id, m.ack)
        return True

    async def stored(self, message_id: UUID) -> Message | None:
        async with self._publisher.pg.connection() as conn:
            return await message_repo.worker_get(
                conn, session_id=self._publisher.session_id, message_id=message_id
            )

    async def adopt(self, message_id: UUID, wa_msg_id: str, ack: str | None, why: str) -> bool:
        """A send found already made (a redelivered job): record it, once."""
        if not await self._publisher.adopt(message_id, wa_msg_id, ack, why=why):
            return False
        self.sent(wa_msg_id, ack)
        return True


def _matches(message: Message, chat: Chat, m: ObservedMessage) -> bool:
    return (
        message.chat_id == chat.id
        and normalized(message.body) == normalized(m.body)
        and m.timestamp >= message.created_at - UNCONFIRMED_SLACK
    )


def _ref(chat: Chat | None) -> ChatRef | None:
    if chat is None:
        return None
    return ChatRef(chat.wa_chat_id, chat.phone_jid, chat.lid, chat.is_group, chat.name or "")
