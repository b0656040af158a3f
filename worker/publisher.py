"""Write what the worker observes to Postgres, then publish it on ``wa:events``.

Persist-then-publish: a gateway that was not listening finds everything in Postgres afterwards.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared import events
from shared.db.repos import chats, messages, sessions
from shared.db.types import Chat, Message
from shared.payloads import chat_payload, message_payload
from shared.qr import png_data_url
from shared.states import SessionState

log = logging.getLogger(__name__)


class Publisher:
    def __init__(
        self,
        pg: AsyncConnectionPool,
        redis: Redis,
        *,
        channel: str,
        session_id: UUID,
        company_id: UUID,
        worker_id: str,
    ) -> None:
        self.pg = pg
        self._redis = redis
        self._channel = channel  # the deployment's events channel
        self.session_id = session_id
        self.company_id = company_id
        self.worker_id = worker_id
        self.state: SessionState | None = None

    async def _publish(self, event: events.Event) -> None:
        try:
            await self._redis.publish(self._channel, events.encode(event))
        except RedisError as exc:  # stored already; sockets catch up on their next replay
            log.warning("session=%s publish %s failed: %s", self.session_id, event.type, exc)

    def _env(self) -> dict[str, UUID]:
        return {"session_id": self.session_id, "company_id": self.company_id}

    async def transition(
        self, state: SessionState, reason: str | None, detail: str | None = None
    ) -> bool:
        """Record a state change (no-op when unchanged); returns whether it changed."""
        if state == self.state:
            return False
        async with self.pg.connection() as conn:
            result = await sessions.worker_set_state(
                conn,
                session_id=self.session_id,
                state=state,
                reason=reason,
                worker_id=self.worker_id,
                detail=detail,
            )
        if result is None:
            return False
        previous = SessionState(result[0])
        self.state = state
        log.info(
            "worker=%s session=%s state=%s->%s reason=%s%s",
            self.worker_id,
            self.session_id,
            previous,
            state,
            reason,
            f" detail={detail!r}" if detail else "",
        )
        data = events.StateData(state=state, previous=previous, reason=reason, detail=detail)
        await self._publish(events.StateEvent(**self._env(), data=data))
        if state == SessionState.DISCONNECTED:
            await self._publish(
                events.DisconnectedEvent(
                    **self._env(), data=events.DisconnectedData(reason=reason or "disconnected")
                )
            )
        return True

    async def give_up(self) -> None:
        """The session needs an admin: stop the reconciler from restarting it."""
        async with self.pg.connection() as conn:
            await sessions.worker_set_desired(
                conn, session_id=self.session_id, desired_state="stopped"
            )

    async def qr(self, ref: str, expires_at: datetime | None) -> None:
        async with self.pg.connection() as conn:
            await sessions.worker_set_qr(
                conn, session_id=self.session_id, qr_payload=ref, expires_at=expires_at
            )
        data = events.QrData(qr_code=png_data_url(ref), qr_raw=ref, expires_at=expires_at)
        await self._publish(events.QrEvent(**self._env(), data=data))
        log.info("worker=%s session=%s qr rotated", self.worker_id, self.session_id)

    async def _identity(self, phone: str | None, display_name: str | None) -> None:
        async with self.pg.connection() as conn:
            await sessions.worker_set_identity(
                conn, session_id=self.session_id, phone=phone, display_name=display_name
            )

    async def ready(self, phone: str | None, display_name: str | None) -> None:
        await self._identity(phone, display_name)
        data = events.ReadyData(phone_number=phone, display_name=display_name)
        await self._publish(events.ReadyEvent(**self._env(), data=data))

    async def forget_identity(self) -> None:
        """The device was logged out: its phone and name no longer belong to the session.
        (No event: the state transition that follows says what happened.)"""
        await self._identity(None, None)

    async def chat(self, chat: Chat) -> None:
        await self._publish(
            events.ChatEvent(**self._env(), data=events.ChatData(chat=chat_payload(chat)))
        )

    async def observed(
        self,
        *,
        wa_chat_id: str,
        chat_name: str,
        wa_msg_id: str,
        direction: str,
        sender: str | None,
        body: str,
        status: str,
        wa_timestamp: datetime | None,
    ) -> tuple[Message, Chat, bool]:
        """Store a message seen on the page; publish it the first time it is seen."""
        at = wa_timestamp or datetime.now(UTC)
        async with self.pg.connection() as conn:
            existing = await chats.worker_get_by_wa_id(
                conn, session_id=self.session_id, wa_chat_id=wa_chat_id
            )
            chat = existing or await chats.worker_upsert(
                conn,
                session_id=self.session_id,
                wa_chat_id=wa_chat_id,
                name=chat_name,
                is_group=wa_chat_id.endswith("@g.us"),
            )
            message, created = await messages.worker_upsert_observed(
                conn,
                session_id=self.session_id,
                chat_id=chat.id,
                wa_msg_id=wa_msg_id,
                direction=direction,
                sender=sender,
                body=body,
                status=status,
                wa_timestamp=wa_timestamp,
            )
            if created:
                chat = await chats.worker_upsert(
                    conn,
                    session_id=self.session_id,
                    wa_chat_id=wa_chat_id,
                    name=chat_name,
                    is_group=wa_chat_id.endswith("@g.us"),
                    last_message_at=max(at, chat.last_message_at or at),
                    last_message_preview=body[:200],
                    add_unread=1 if direction == "in" else 0,
                )
        if created:
            payload = message_payload(message, wa_chat_id=wa_chat_id)
            data = events.MessageData(chat_id=chat.id, message=payload)
            if direction == "in":
                await self._publish(events.MessageEvent(**self._env(), data=data))
            else:  # sent from the phone itself
                await self._publish(events.MessageSentEvent(**self._env(), data=data))
            await self.chat(chat)
        return message, chat, created

    async def sent(self, message_id: UUID, wa_msg_id: str, ack: str | None) -> Message | None:
        async with self.pg.connection() as conn:
            msg = await messages.worker_mark_sent(
                conn, session_id=self.session_id, message_id=message_id, wa_msg_id=wa_msg_id
            )
            if msg is not None and ack in ("delivered", "read"):
                msg = (
                    await messages.worker_advance_ack(
                        conn, session_id=self.session_id, wa_msg_id=wa_msg_id, status=ack
                    )
                    or msg
                )
        if msg is not None:
            await self._publish_sent(msg)
        return msg

    async def adopt(self, message_id: UUID, wa_msg_id: str) -> bool:
        """Record a message found already sent on the page (a redelivered send after a crash)."""
        async with self.pg.connection() as conn:
            msg = await messages.worker_adopt_sent(
                conn, session_id=self.session_id, message_id=message_id, wa_msg_id=wa_msg_id
            )
        if msg is not None:
            log.info(
                "session=%s message=%s found already sent, not resent", self.session_id, message_id
            )
            await self._publish_sent(msg)
        return msg is not None

    async def failed(self, message_id: UUID, error: str) -> Message | None:
        async with self.pg.connection() as conn:
            msg = await messages.worker_mark_failed(
                conn, session_id=self.session_id, message_id=message_id, error=error
            )
        if msg is not None:
            log.info("session=%s message=%s failed: %s", self.session_id, message_id, error)
            await self._publish_sent(msg)
        return msg

    async def _publish_sent(self, msg: Message) -> None:
        async with self.pg.connection() as conn:
            chat = await chats.worker_get(conn, session_id=self.session_id, chat_id=msg.chat_id)
        wa_chat_id = chat.wa_chat_id if chat else ""
        data = events.MessageData(
            chat_id=msg.chat_id, message=message_payload(msg, wa_chat_id=wa_chat_id)
        )
        await self._publish(events.MessageSentEvent(**self._env(), data=data))

    async def ack(self, wa_msg_id: str, status: str) -> None:
        async with self.pg.connection() as conn:
            msg = await messages.worker_advance_ack(
                conn, session_id=self.session_id, wa_msg_id=wa_msg_id, status=status
            )
        if msg is not None:
            data = events.MessageAckData(chat_id=msg.chat_id, message_id=msg.id, status=status)
            await self._publish(events.MessageAckEvent(**self._env(), data=data))
