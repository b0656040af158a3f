"""The page bridge: WhatsApp Web driven through its page (the page objects: ``pages``, ``actions``).

Messages are rows: the observer's changed rows on every long-poll, and chats with an unread badge
opened and read; a chat's ids come from its context (``chat_ids``), never from a row alone. Sends
open the chat and type; a send is confirmed by its row. The fallback of the module bridge.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from shared.jids import is_phone
from shared.settings import Settings
from worker.browser import actions, page_media, pages
from worker.browser.bridge import Bridge, ChatDirectory
from worker.browser.chat_ids import from_context, page_ids
from worker.browser.chromium import LOCALE
from worker.browser.drift import Drift, DriftKind
from worker.browser.errors import PageError
from worker.browser.observed import (
    CatchUp,
    ChatRef,
    Cursor,
    MediaRef,
    Observation,
    ObservedMessage,
    OutgoingFile,
    Screen,
    SendOutcome,
    Target,
)
from worker.browser.pages import ChatView
from worker.browser.poke import Poker
from worker.browser.thread import BrowserThread
from worker.browser.times import TimeReader

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Opened:
    """How the bridge opened the chat now on screen."""

    title: str
    phone: str | None = None  # opened by deep link to this number


class PageBridge(Bridge):
    kind = "page"
    wake_js = "window.__waChanged = true; if (window.__waWake) window.__waWake();"

    def __init__(
        self,
        settings: Settings,
        browser: BrowserThread,
        directory: ChatDirectory,
        poker: Poker | None = None,
    ):
        super().__init__(settings, browser, directory, poker)
        self._times = TimeReader(LOCALE)
        self._opened: Opened | None = None
        self._refs: dict[str, ChatRef] = {}  # chat title -> its ids
        self._drift: list[Drift] = []  # noted between long-polls, handed over by the next one

    # --- watching ---------------------------------------------------------------------------

    async def watch(self, timeout_s: float) -> Observation:
        snap = await self._browser.call(pages.wait_snapshot, timeout_s)
        messages: list[ObservedMessage] = []
        if snap.screen is Screen.READY and snap.dialog is None:  # nothing in the way of a click
            changed = await self._browser.call(pages.drain_observed, self._times)
            messages += await self._rows(changed)
            for chat in snap.unread:
                messages += await self._open_and_read(chat.name)
        drift, self._drift = (*snap.drift, *self._drift), []
        return Observation(
            screen=snap.screen,
            url=snap.url,
            qr_ref=snap.qr_ref,
            link_code=snap.link_code,
            phone=snap.phone,
            display_name=snap.display_name,
            dialog=snap.dialog,
            excerpt=snap.excerpt,
            alert=snap.alert,
            passkey_code=snap.passkey_code,
            messages=tuple(messages),
            drift=drift,
        )

    async def catch_up(self, cursors: Sequence[Cursor], limit: int) -> CatchUp:
        """The most recent chats (at most ``limit``), opened and read in full."""
        listed, drift = await self._browser.call(pages.list_chats, limit)
        messages: list[ObservedMessage] = []
        for chat in reversed(listed):  # oldest first, so the newest chat stays open
            try:
                messages += await self._open_and_read(chat.name)
            except PageError as exc:
                log.warning("catch-up skipped chat %r: %s", chat.name, exc)
        noted, self._drift = (*drift, *self._drift), []
        return CatchUp(tuple(messages), len(listed), noted)

    # --- rows and their chat ----------------------------------------------------------------

    async def _open_and_read(self, title: str) -> list[ObservedMessage]:
        await self._browser.call(actions.open_chat_by_name, title, self._timeout)
        self._opened = Opened(title)
        return await self._read_open_chat()

    async def _read_open_chat(self) -> list[ObservedMessage]:
        return await self._rows(await self._browser.call(pages.read_open_chat, self._times))

    async def _rows(self, view: ChatView) -> list[ObservedMessage]:
        self._drift += view.drift
        if not view.rows:
            return []
        chat = await self._chat_of(view)
        return [
            ObservedMessage(
                wa_msg_id=row.wa_msg_id,
                chat=chat,
                direction=row.direction,
                sender=row.sender,
                body=row.body,
                timestamp=row.timestamp,
                ack=row.ack,
                msg_type=row.media.kind if row.media else "text",
                media=row.media,
            )
            for row in view.rows
        ]

    async def _chat_of(self, view: ChatView) -> ChatRef:
        """The open chat's ids from its context (resolved once per title, again when the context
        brings an id not known yet)."""
        opened = self._opened
        phone = opened.phone if opened and opened.title == view.name else None
        cached = self._refs.get(view.name)
        stored = cached or await self._directory.by_name(view.name)
        ids = from_context(view.name, opened_phone=phone, stored=stored, hints=view.chat_hints)
        if cached and (ids is None or ids.all <= cached.all):
            return cached
        if ids is None:
            ids = await self._from_drawer(view.name)
        self._refs[view.name] = ids
        return ids

    async def _from_drawer(self, title: str) -> ChatRef:
        try:
            info = await self._browser.call(actions.read_chat_info)
        except PageError as exc:
            log.info("chat info of %r unreadable: %s", title, exc)
            info = actions.ChatInfo(phone=None, is_group=False)
        ids = from_context(title, info_phone=info.phone, info_group=info.is_group)
        if ids is None or ids.page_only:
            self._drift.append(Drift.of(DriftKind.CHAT_ID_UNRESOLVED, title, key=title))
            return page_ids(title, is_group=info.is_group)
        return ids

    # --- sending ----------------------------------------------------------------------------

    async def send_text(self, target: Target, body: str) -> SendOutcome:
        seen = await self._open(target)
        before = await self._browser.call(actions.type_and_send, body, False, self._timeout)
        row = await self._browser.call(
            actions.wait_sent_row, body, before, self._times, self._settings.send_confirm_s
        )
        if row is None:  # typed and sent, its row not seen (yet): never typed again
            return SendOutcome(None, seen=tuple(seen))
        if row.ack == "failed":
            raise PageError("send_failed", "WhatsApp did not send it")
        return SendOutcome(row.wa_msg_id, row.ack, tuple(seen))

    async def send_media(self, target: Target, file: OutgoingFile) -> SendOutcome:
        """Attach the file in the open chat (a voice note goes as audio, a sticker as an image:
        the page has no way to send those)."""
        seen = await self._open(target)
        before = await self._browser.call(pages.outgoing_ids)
        with tempfile.TemporaryDirectory(prefix="wagw-send-") as tmp:
            path = Path(tmp) / actions.upload_name(file)
            await asyncio.to_thread(path.write_bytes, file.data)
            await self._browser.call(actions.attach_and_send, file, path, self._timeout)
            row = await self._browser.call(
                actions.sent_media_row,
                file.caption,
                before,
                self._times,
                self._settings.send_confirm_s + self._timeout,
            )
        if row is None:  # sent, its row not seen (yet): never attached again
            return SendOutcome(None, seen=tuple(seen))
        if row.ack == "failed":
            raise PageError("send_failed", "WhatsApp did not send it")
        return SendOutcome(row.wa_msg_id, row.ack, tuple(seen))

    async def find_sent_media(
        self, target: Target, file: OutgoingFile, since: datetime
    ) -> SendOutcome:
        seen = await self._open(target)
        row = await self._browser.call(
            actions.sent_media_row, file.caption, frozenset(), self._times, 0.0
        )
        return SendOutcome(row.wa_msg_id if row else None, row.ack if row else None, tuple(seen))

    async def download_media(self, ref: MediaRef) -> bytes:
        """From the blob: URL the row showed; else the chat is opened and its row read."""
        if ref.source is None:
            await self._open_chat_of(ref.wa_chat_id)
        return await self._browser.call(
            page_media.fetch_file, ref.wa_msg_id, ref.source, self._timeout * 3
        )

    async def find_sent(self, target: Target, body: str, since: datetime) -> SendOutcome:
        seen = await self._open(target)
        row = await self._browser.call(actions.find_sent, body, self._times)
        return SendOutcome(row.wa_msg_id if row else None, row.ack if row else None, tuple(seen))

    async def _open(self, target: Target) -> list[ObservedMessage]:
        """Open the target's chat; what it shows (read on the way, so it is stored first)."""
        if target.phone is not None:
            return await self._open_by_phone(target.phone)
        assert target.wa_chat_id is not None
        return await self._open_chat_of(target.wa_chat_id)

    async def _open_by_phone(self, phone: str) -> list[ObservedMessage]:
        title: str = await self._browser.call(
            actions.open_chat_by_phone, self._settings.wa_url, phone, self._timeout
        )
        self._opened = Opened(title, phone)
        return await self._read_open_chat()

    async def _open_chat_of(self, wa_chat_id: str) -> list[ObservedMessage]:
        """A stored chat: by its name in the chat list, else by its number."""
        chat = await self._directory.by_wa_id(wa_chat_id)
        phone_id = chat.phone_jid if chat and chat.phone_jid else wa_chat_id
        if chat is not None and chat.name:
            try:
                return await self._open_and_read(chat.name)
            except PageError:
                if not is_phone(phone_id):
                    raise
        if not is_phone(phone_id):
            raise PageError("chat_not_found", f"no chat {wa_chat_id} on the page")
        return await self._open_by_phone(phone_id.split("@", 1)[0])

    async def mark_read(self, wa_chat_id: str) -> list[ObservedMessage]:
        return await self._open_chat_of(wa_chat_id)  # opening a chat marks it read

    # --- the account ------------------------------------------------------------------------

    async def own_name(self) -> str | None:
        return await self._browser.call(actions.read_own_name, self._timeout)

    async def request_pairing_code(self, phone: str) -> str:
        try:
            return await self._browser.call(
                actions.request_link_code, self._settings.wa_url, phone, self._timeout
            )
        except PageError as exc:
            if exc.reason != "not_on_landing":  # back to the QR for the next try
                await self._browser.call(actions.open_home, self._settings.wa_url)
            raise

    async def refresh_qr(self) -> None:
        if not await self._browser.call(actions.reload_qr):
            await self._browser.call(actions.open_home, self._settings.wa_url)

    async def logout(self) -> None:
        await self._browser.call(actions.logout, self._settings.wa_url)
