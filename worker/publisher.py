"""Write what the worker observes to Postgres, with the events it causes in the same transaction
(the event log), then publish them on ``wa:events``.

Nothing observed is lost: a gateway that was not listening, or a publish that never happened,
is made good from the log.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events
from shared.db.repos import chats, messages, passkeys, sessions
from shared.db.repos import media as media_repo
from shared.db.types import OPEN_PASSKEY_STATUSES, Chat, Conn, Message, MessageMedia
from shared.eventwriter import EventWriter, Unit
from shared.media.store import StoredBlob
from shared.passkeys import RequestOptions
from shared.payloads import chat_event, media_payload, message_payload
from shared.qr import data_url, render_png_off_loop
from shared.states import SessionState
from worker.browser.observed import ChatRef, ObservedMedia

# a captured file is downloaded at once; if that never ends (the worker went away), it is due then
MEDIA_GRACE = timedelta(minutes=2)
# the chat list's preview of a message without text
_PREVIEWS = {
    "image": "📷 Photo",
    "video": "🎥 Video",
    "audio": "🎵 Audio",
    "voice": "🎤 Voice message",
    "document": "📄 Document",
    "sticker": "Sticker",
    "unsupported": "Unsupported message",
}


def preview_of(msg_type: str) -> str:
    return _PREVIEWS.get(msg_type, "")


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
        self._log = EventWriter(pg, redis, channel=channel)
        self.session_id = session_id
        self.company_id = company_id
        self.worker_id = worker_id
        self.state: SessionState | None = None
        self.reason: str | None = None

    def _env(self) -> dict[str, UUID]:
        return {"session_id": self.session_id, "company_id": self.company_id}

    async def transition(
        self, state: SessionState, reason: str | None, detail: str | None = None
    ) -> bool:
        """Record a state change (no-op when state and reason are unchanged); returns whether
        it changed."""
        if (state, reason) == (self.state, self.reason):
            return False
        async with self._log.unit() as unit:
            result = await sessions.worker_set_state(
                unit.conn,
                session_id=self.session_id,
                state=state,
                reason=reason,
                worker_id=self.worker_id,
                detail=detail,
            )
            if result is None:
                return False
            previous = SessionState(result[0])
            data = events.StateData(state=state, previous=previous, reason=reason, detail=detail)
            unit.emit(events.StateEvent(**self._env(), data=data))
            if state == SessionState.DISCONNECTED:
                gone = events.DisconnectedData(reason=reason or "disconnected")
                unit.emit(events.DisconnectedEvent(**self._env(), data=gone))
        self.state, self.reason = state, reason
        log.info(
            "worker=%s session=%s state=%s->%s reason=%s%s",
            self.worker_id,
            self.session_id,
            previous,
            state,
            reason,
            f" detail={detail!r}" if detail else "",
        )
        return True

    async def bridge(self, kind: str) -> None:
        """Which bridge the worker uses for the session now (operators see it)."""
        async with self.pg.connection() as conn:
            await sessions.worker_set_bridge(conn, session_id=self.session_id, bridge=kind)

    async def give_up(self) -> None:
        """The session needs an admin: stop the reconciler from restarting it."""
        async with self.pg.connection() as conn:
            await sessions.worker_set_desired(
                conn, session_id=self.session_id, desired_state="stopped"
            )

    async def qr(self, ref: str, expires_at: datetime | None) -> None:
        png = await render_png_off_loop(ref)  # the one rendering of this QR (shared/qr.py)
        async with self._log.unit() as unit:
            await sessions.worker_set_qr(
                unit.conn,
                session_id=self.session_id,
                qr_payload=ref,
                expires_at=expires_at,
                qr_png=png,
            )
            data = events.QrData(qr_code=data_url(png), qr_raw=ref, expires_at=expires_at)
            unit.emit(events.QrEvent(**self._env(), data=data))
        log.info("worker=%s session=%s qr rotated", self.worker_id, self.session_id)

    async def _identity(
        self, conn: Conn, phone: str | None, display_name: str | None, lid: str | None = None
    ) -> None:
        await sessions.worker_set_identity(
            conn, session_id=self.session_id, phone=phone, display_name=display_name, lid=lid
        )

    async def ready(
        self, phone: str | None, display_name: str | None, lid: str | None = None
    ) -> None:
        async with self._log.unit() as unit:
            await self._identity(unit.conn, phone, display_name, lid)
            data = events.ReadyData(phone_number=phone, display_name=display_name)
            unit.emit(events.ReadyEvent(**self._env(), data=data))

    async def forget_identity(self) -> None:
        """The device was logged out: its phone and name no longer belong to the session.
        (No event: the state transition that follows says what happened.)"""
        async with self.pg.connection() as conn:
            await self._identity(conn, None, None)

    def _chat_event(self, unit: Unit, chat: Chat) -> None:
        unit.emit(chat_event(self.company_id, chat))

    async def resolve_chat(self, ids: ChatRef, name: str) -> tuple[Chat, list[UUID]]:
        """The stored chat of the open chat's person (or group), merging rows found to be one;
        returns it and the ids of rows merged into it."""
        async with self._log.unit() as unit:
            chat, merged = await chats.worker_resolve(
                unit.conn,
                session_id=self.session_id,
                wa_chat_id=ids.wa_chat_id,
                phone_jid=ids.phone_jid,
                lid=ids.lid,
                name=name,
                is_group=ids.is_group,
            )
            if merged:
                self._chat_event(unit, chat)
        if merged:
            log.info(
                "session=%s chat=%s merged chats=%s (one person under several ids)",
                self.session_id,
                chat.id,
                ",".join(str(m) for m in merged),
            )
        return chat, merged

    async def chat_by_name(self, name: str) -> Chat | None:
        async with self.pg.connection() as conn:
            return await chats.worker_find_by_name(conn, session_id=self.session_id, name=name)

    async def chat_by_wa_id(self, wa_chat_id: str) -> Chat | None:
        async with self.pg.connection() as conn:
            return await chats.worker_get_by_wa_id(
                conn, session_id=self.session_id, wa_chat_id=wa_chat_id
            )

    async def observed(
        self,
        chat: Chat,
        *,
        wa_msg_id: str,
        direction: str,
        sender: str | None,
        body: str,
        status: str,
        wa_timestamp: datetime,
        msg_type: str = "text",
        media: ObservedMedia | None = None,
    ) -> tuple[Message, bool]:
        """Store a message seen on the page (and its media row, pending, in the same
        transaction); publish it the first time it is seen."""
        async with self._log.unit() as unit:
            message, created = await messages.worker_upsert_observed(
                unit.conn,
                session_id=self.session_id,
                chat_id=chat.id,
                wa_msg_id=wa_msg_id,
                direction=direction,
                sender=sender,
                body=body,
                msg_type=msg_type,
                status=status,
                wa_timestamp=wa_timestamp,
            )
            if created:
                row = await self._capture_media(unit.conn, message.id, media) if media else None
                chat = await chats.worker_touch(
                    unit.conn,
                    chat_id=chat.id,
                    at=wa_timestamp,
                    preview=(body or preview_of(msg_type))[:200],
                    add_unread=1 if direction == "in" else 0,
                )
                payload = message_payload(message, wa_chat_id=chat.wa_chat_id, media=row)
                data = events.MessageData(chat_id=chat.id, message=payload)
                if direction == "in":
                    unit.emit(events.MessageEvent(**self._env(), data=data))
                else:  # sent from the phone itself
                    unit.emit(events.MessageSentEvent(**self._env(), data=data))
                self._chat_event(unit, chat)
        return message, created

    async def _capture_media(
        self, conn: Conn, message_id: UUID, media: ObservedMedia
    ) -> MessageMedia:
        return await media_repo.capture(
            conn,
            message_id=message_id,
            company_id=self.company_id,
            session_id=self.session_id,
            kind=media.kind,
            mime=media.mime,
            size=media.size,
            file_name=media.file_name,
            duration_s=media.duration_s,
            width=media.width,
            height=media.height,
            thumbnail=media.thumbnail,
            next_attempt_at=datetime.now(UTC) + MEDIA_GRACE,
        )

    async def media_stored(
        self, message_id: UUID, chat_id: UUID, blob: StoredBlob, mime: str
    ) -> MessageMedia | None:
        """The file is in the media store: its blob, the row stored, ``message_media`` (ready)."""
        async with self._log.unit() as unit:
            await media_repo.record_blob(
                unit.conn, company_id=self.company_id, sha256=blob.sha256, size=blob.size, mime=mime
            )
            row = await media_repo.mark_stored(
                unit.conn, message_id=message_id, sha256=blob.sha256, size=blob.size
            )
            if row is not None:
                self._media_event(unit, chat_id, row)
        return row

    async def media_failed(
        self, message_id: UUID, chat_id: UUID, error: str, retry_at: datetime | None
    ) -> MessageMedia | None:
        """A download failed: tried again at ``retry_at``; None: given up until a retry job
        (``message_media``, unavailable, then)."""
        async with self._log.unit() as unit:
            row = await media_repo.mark_failed(
                unit.conn, message_id=message_id, error=error, retry_at=retry_at
            )
            if row is not None and retry_at is None:
                self._media_event(unit, chat_id, row)
        return row

    async def media_retry(self, message_id: UUID) -> MessageMedia | None:
        """Someone asked for the file again: pending, tried at once (``message_media``)."""
        async with self._log.unit() as unit:
            row = await media_repo.worker_retry(
                unit.conn, session_id=self.session_id, message_id=message_id
            )
            if row is not None:
                message = await messages.worker_get(
                    unit.conn, session_id=self.session_id, message_id=message_id
                )
                if message is not None:
                    self._media_event(unit, message.chat_id, row)
        return row

    def _media_event(self, unit: Unit, chat_id: UUID, row: MessageMedia) -> None:
        data = events.MessageMediaData(
            chat_id=chat_id, message_id=row.message_id, media=media_payload(row)
        )
        unit.emit(events.MessageMediaEvent(**self._env(), data=data))

    async def known_message(self, wa_msg_id: str) -> bool:
        async with self.pg.connection() as conn:
            found = await messages.worker_get_by_wa_id(
                conn, session_id=self.session_id, wa_msg_id=wa_msg_id
            )
        return found is not None

    async def unconfirmed_sends(self) -> list[Message]:
        async with self.pg.connection() as conn:
            return await messages.worker_list_unconfirmed(conn, session_id=self.session_id)

    async def unconfirmed(self, message_id: UUID) -> Message | None:
        """Typed and sent, but no row seen in time: ``unconfirmed`` (never re-sent), published."""
        async with self._log.unit() as unit:
            msg = await messages.worker_mark_unconfirmed(
                unit.conn, session_id=self.session_id, message_id=message_id
            )
            if msg is not None:
                await self._sent_event(unit, msg)
        if msg is not None:
            log.warning(
                "session=%s message=%s unconfirmed: sent on the page, its row not seen yet",
                self.session_id,
                message_id,
            )
        return msg

    async def pairing_code(self, code: str, phone: str, expires_at: datetime) -> None:
        async with self._log.unit() as unit:
            await sessions.worker_set_pairing_code(
                unit.conn,
                session_id=self.session_id,
                code=code,
                phone=phone,
                expires_at=expires_at,
            )
            data = events.PairingCodeData(code=code, phone=phone, expires_at=expires_at)
            unit.emit(events.PairingCodeEvent(**self._env(), data=data))
        log.info("worker=%s session=%s pairing code shown", self.worker_id, self.session_id)

    async def clear_pairing_code(self) -> None:
        async with self.pg.connection() as conn:
            await sessions.worker_set_pairing_code(
                conn, session_id=self.session_id, code=None, phone=None, expires_at=None
            )

    async def passkey_required(
        self, options: RequestOptions, origin: str, expires_at: datetime
    ) -> UUID:
        """The page asks for a passkey: store the request, tell the admins; returns its id."""
        async with self._log.unit() as unit:
            row = await passkeys.worker_open(
                unit.conn,
                session_id=self.session_id,
                options=options.to_wire(),
                origin=origin,
                expires_at=expires_at,
            )
            data = events.PasskeyRequiredData(
                request_id=row.id, options=options, origin=origin, expires_at=expires_at
            )
            unit.emit(events.PasskeyRequiredEvent(**self._env(), data=data))
        return row.id

    async def passkey_confirmation(self, request_id: UUID, code: str, expires_at: datetime) -> bool:
        """WhatsApp accepted the passkey and shows ``code`` to match on the phone."""
        async with self._log.unit() as unit:
            row = await passkeys.worker_confirming(
                unit.conn, request_id=request_id, code=code, expires_at=expires_at
            )
            if row is not None:
                data = events.PasskeyConfirmationData(
                    request_id=request_id, code=code, expires_at=expires_at
                )
                unit.emit(events.PasskeyConfirmationEvent(**self._env(), data=data))
        return row is not None

    async def passkey_ended(
        self,
        request_id: UUID,
        status: str,
        reason: str,
        from_statuses: tuple[str, ...] = OPEN_PASSKEY_STATUSES,
    ) -> bool:
        """Close a passkey request (no event: the state transition that follows says it)."""
        async with self.pg.connection() as conn:
            row = await passkeys.worker_end(
                conn,
                request_id=request_id,
                status=status,
                reason=reason,
                from_statuses=from_statuses,
            )
        return row is not None

    async def sent(self, message_id: UUID, wa_msg_id: str, ack: str | None) -> Message | None:
        async with self._log.unit() as unit:
            msg = await messages.worker_mark_sent(
                unit.conn, session_id=self.session_id, message_id=message_id, wa_msg_id=wa_msg_id
            )
            if msg is not None:
                msg = await self._advance(unit.conn, msg, wa_msg_id, ack)
                await self._sent_event(unit, msg)
        return msg

    async def adopt(
        self, message_id: UUID, wa_msg_id: str, ack: str | None = None, *, why: str
    ) -> bool:
        """Record a message whose row was found on the page: a redelivered send after a crash,
        or an ``unconfirmed`` one whose row appeared late. False if the row is another send's."""
        async with self._log.unit() as unit:
            msg = await messages.worker_adopt_sent(
                unit.conn, session_id=self.session_id, message_id=message_id, wa_msg_id=wa_msg_id
            )
            if msg is not None:
                msg = await self._advance(unit.conn, msg, wa_msg_id, ack)
                await self._sent_event(unit, msg)
        if msg is not None:
            log.info("session=%s message=%s %s", self.session_id, message_id, why)
        return msg is not None

    async def _advance(self, conn: Conn, msg: Message, wa_msg_id: str, ack: str | None) -> Message:
        """A just-sent message the page already shows as delivered or read."""
        if ack not in ("delivered", "read"):
            return msg
        advanced = await messages.worker_advance_ack(
            conn, session_id=self.session_id, wa_msg_id=wa_msg_id, status=ack
        )
        return advanced or msg

    async def failed(self, message_id: UUID, error: str) -> Message | None:
        async with self._log.unit() as unit:
            msg = await messages.worker_mark_failed(
                unit.conn, session_id=self.session_id, message_id=message_id, error=error
            )
            if msg is not None:
                await self._sent_event(unit, msg)
        if msg is not None:
            log.info("session=%s message=%s failed: %s", self.session_id, message_id, error)
        return msg

    async def _sent_event(self, unit: Unit, msg: Message) -> None:
        chat = await chats.worker_get(unit.conn, session_id=self.session_id, chat_id=msg.chat_id)
        wa_chat_id = chat.wa_chat_id if chat else ""
        media = await media_repo.get(unit.conn, company_id=self.company_id, message_id=msg.id)
        data = events.MessageData(
            chat_id=msg.chat_id, message=message_payload(msg, wa_chat_id=wa_chat_id, media=media)
        )
        unit.emit(events.MessageSentEvent(**self._env(), data=data))

    async def ack(self, wa_msg_id: str, status: str) -> None:
        async with self._log.unit() as unit:
            msg = await messages.worker_advance_ack(
                unit.conn, session_id=self.session_id, wa_msg_id=wa_msg_id, status=status
            )
            if msg is not None:
                data = events.MessageAckData(chat_id=msg.chat_id, message_id=msg.id, status=status)
                unit.emit(events.MessageAckEvent(**self._env(), data=data))
