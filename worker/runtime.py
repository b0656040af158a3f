"""One WhatsApp session in one browser: the state machine of DESIGN §8, capture, and commands.

The runtime watches the page (one long-poll per tick, see ``pages.wait_snapshot``), turns what it
sees into state transitions, stores every message it sees, and runs commands between ticks. All
Selenium work happens on the browser's own thread; ``_page`` keeps multi-step page work atomic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from redis.asyncio import Redis
from selenium.common.exceptions import WebDriverException

from shared import jobs
from shared.constants import RedisNames
from shared.db.repos import chats
from shared.settings import Settings
from shared.states import Reason, SessionState
from worker.browser import pages
from worker.browser.errors import BrowserError
from worker.browser.orphans import kill_orphans
from worker.browser.pages import PageError, Row, Screen, Snapshot
from worker.browser.profile import ensure_profile_dir, remove_stale_locks
from worker.browser.thread import BrowserThread
from worker.publisher import Publisher

log = logging.getLogger(__name__)
T = TypeVar("T")

# WhatsApp rotates the QR about every 20 s; used for the expiresAt hint sent with each code
QR_LIFETIME = timedelta(seconds=20)
MAX_PAGE_FAILURES = 20


class End(StrEnum):
    """Why a runtime ended; decides what the owner does with the lease and the session next."""

    STOPPED = "stopped"  # admin stop or disconnect: do not restart
    NEEDS_ADMIN = "needs_admin"  # blocked or QR timeout: desired_state set to stopped
    HANDOFF = "handoff"  # worker restart/shutdown: another (or this) worker resumes it
    LEASE_LOST = "lease_lost"  # another worker owns it now: touch nothing


class SessionRuntime:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        browser: BrowserThread,
        redis: Redis,
    ) -> None:
        self._settings = settings
        self.publisher = publisher
        self._browser = browser
        self._redis = redis
        self._page = asyncio.Lock()
        self._stop = asyncio.Event()
        self._end = End.HANDOFF
        self._end_state: tuple[SessionState, str] | None = None
        self._qr_ref: str | None = None
        self._shown_qr = False
        self._synced = False
        self._conflict_since: float | None = None
        self._seen: set[str] = set()
        self._acks: dict[str, str] = {}
        self._failures = 0
        self._timeout = settings.page_timeout_s

    @property
    def session_id(self) -> str:
        return str(self.publisher.session_id)

    # --- lifecycle ---------------------------------------------------------------------

    def request_end(self, end: End, state: tuple[SessionState, str] | None = None) -> None:
        """Ask the loop to finish; ``state`` is written as the last transition, if given."""
        if not self._stop.is_set():
            self._end, self._end_state = end, state
            self._stop.set()

    async def run(self) -> End:
        await self.publisher.transition(SessionState.INITIALIZING, Reason.STARTING)
        try:
            if await self._launch():
                await self._watch()
        finally:
            await self._browser.close()
        if self._end_state is not None and self._end is not End.LEASE_LOST:
            await self.publisher.transition(*self._end_state)
        return self._end

    async def _launch(self) -> bool:
        try:
            profile = ensure_profile_dir(self._settings.profile_dir, self.session_id)
            await asyncio.to_thread(kill_orphans, profile)
            remove_stale_locks(profile)
            await self._browser.start(self._settings, profile)
            await self._call(pages.open_home, self._settings.wa_url)
        except BrowserError as exc:
            await self._block(exc.reason, str(exc))
            return False
        return True

    async def _block(self, reason: str, detail: str | None = None) -> None:
        await self.publisher.give_up()  # first, so whoever sees the event sees it settled
        await self.publisher.transition(SessionState.BLOCKED, reason, detail)
        self.request_end(End.NEEDS_ADMIN)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._browser.call(fn, *args)

    async def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                async with self._page:
                    snap = await self._call(pages.wait_snapshot, self._settings.poll_interval_s)
                    await self._on_snapshot(snap)
                self._failures = 0
            except (WebDriverException, PageError) as exc:
                self._failures += 1
                log.warning("session=%s page error (%d): %s", self.session_id, self._failures, exc)
                if self._failures >= MAX_PAGE_FAILURES:
                    await self._block(Reason.REPEATED_FAILURES, str(exc)[:500])
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(0.2 * self._failures, 3)):
                        await self._stop.wait()
            await asyncio.sleep(0)  # let a waiting command take the page lock

    # --- what the page shows -----------------------------------------------------------

    async def _on_snapshot(self, snap: Snapshot) -> None:
        state = self.publisher.state
        if snap.screen is Screen.UNSUPPORTED:
            await self._block(Reason.UNSUPPORTED_BROWSER, "WhatsApp Web refused this browser")
        elif snap.screen is Screen.QR and snap.qr_ref:
            await self._on_qr(snap.qr_ref, logged_out=state in _LINKED or snap.logged_out_redirect)
        elif snap.screen is Screen.QR_EXPIRED:
            await self.publisher.give_up()
            await self.publisher.transition(SessionState.STOPPED, Reason.QR_TIMEOUT)
            self.request_end(End.NEEDS_ADMIN)
        elif snap.screen is Screen.SYNCING:
            reason = Reason.QR_SCANNED if self._shown_qr else Reason.RESTORED
            await self.publisher.transition(SessionState.AUTHENTICATED, reason)
        elif snap.screen is Screen.READY:
            await self._on_ready(snap)
        elif snap.screen is Screen.OFFLINE:
            await self.publisher.transition(SessionState.DISCONNECTED, Reason.NETWORK_LOST)
        elif snap.screen is Screen.CONFLICT:
            await self._on_conflict()

    async def _on_qr(self, ref: str, *, logged_out: bool) -> None:
        if logged_out:
            self._synced = False
            await self.publisher.forget_identity()
        reason = Reason.LOGGED_OUT if logged_out else Reason.QR_SHOWN
        await self.publisher.transition(SessionState.QR, reason)
        if ref != self._qr_ref:
            self._qr_ref, self._shown_qr = ref, True
            await self.publisher.qr(ref, datetime.now(UTC) + QR_LIFETIME)

    async def _on_conflict(self) -> None:
        await self.publisher.transition(SessionState.CONFLICT, Reason.CONFLICT)
        now = time.monotonic()
        self._conflict_since = self._conflict_since or now
        waited = now - self._conflict_since
        if waited >= self._settings.conflict_takeover_s and await self._call(pages.take_over):
            log.info("session=%s took over from another window", self.session_id)

    async def _on_ready(self, snap: Snapshot) -> None:
        previous = self.publisher.state
        if previous != SessionState.READY:
            reason = {
                SessionState.DISCONNECTED: Reason.NETWORK_RESTORED,
                SessionState.CONFLICT: Reason.TAKEN_OVER,
            }.get(
                previous or SessionState.IDLE, Reason.SYNCED if self._shown_qr else Reason.RESTORED
            )
            self._conflict_since = None
            await self.publisher.ready(snap.phone, snap.display_name)
            if not self._synced:
                await self._sync_chats()
                self._synced = True
            await self.publisher.transition(SessionState.READY, reason)
        await self._capture(snap)

    # --- capture -----------------------------------------------------------------------

    async def _capture(self, snap: Snapshot) -> None:
        await self._store(await self._call(pages.drain_observed))
        for chat in snap.unread:
            await self._call(pages.open_chat_by_name, chat.name, self._timeout)
            await self._store(await self._call(pages.read_open_chat))

    async def _sync_chats(self) -> None:
        """Most recent chats (bounded), read in full: catches up whatever came while away."""
        listed = await self._call(pages.list_chats, self._settings.sync_chats_limit)
        for chat in reversed(listed):  # oldest first, so the newest chat stays open
            try:
                await self._call(pages.open_chat_by_name, chat.name, self._timeout)
                await self._store(await self._call(pages.read_open_chat))
            except PageError as exc:
                log.warning("session=%s sync skipped chat %r: %s", self.session_id, chat.name, exc)
        log.info("session=%s synced chats=%d", self.session_id, len(listed))

    async def _store(self, view: pages.ChatView) -> None:
        for row in view.rows:
            if row.wa_msg_id in self._seen:
                await self._track_ack(row)
                continue
            _, _, created = await self.publisher.observed(
                wa_chat_id=row.wa_chat_id,
                chat_name=view.name,
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
                await self.publisher.ack(row.wa_msg_id, row.ack)

    # --- commands ----------------------------------------------------------------------

    async def send_text(self, job: jobs.SendText) -> None:
        """Send once. A redelivered job (the guard is already set) first looks for its message
        on the page and adopts it, so a crash between typing and recording never sends twice."""
        guard = RedisNames.of(self._settings).send_guard_key(str(job.message_id))
        first_try = bool(await self._redis.set(guard, self._settings.worker_id, nx=True, ex=86400))
        async with self._page:
            try:
                await self._open_target(job)
                if not first_try:
                    found = await self._call(pages.find_sent, job.body)
                    if found and await self.publisher.adopt(job.message_id, found.wa_msg_id):
                        self._seen.add(found.wa_msg_id)
                        return
                row = await self._call(pages.send_text, job.body, False, self._timeout)
            except PageError as exc:
                await self.publisher.failed(job.message_id, f"{exc.reason}: {exc}")
                return
            if row.ack == "failed":
                await self.publisher.failed(job.message_id, "send_failed: WhatsApp did not send it")
                return
            await self.publisher.sent(job.message_id, row.wa_msg_id, row.ack)
            self._seen.add(row.wa_msg_id)
            self._acks[row.wa_msg_id] = row.ack or "sent"

    async def _open_target(self, job: jobs.SendText) -> None:
        if job.to_phone is not None:
            await self._call(
                pages.open_chat_by_phone, self._settings.wa_url, job.to_phone, self._timeout
            )
            return
        assert job.wa_chat_id is not None
        name = await self._chat_name(job.wa_chat_id)
        try:
            await self._call(pages.open_chat_by_name, name, self._timeout)
        except PageError:
            if not job.wa_chat_id.endswith("@c.us"):
                raise
            digits = job.wa_chat_id.split("@", 1)[0]
            await self._call(pages.open_chat_by_phone, self._settings.wa_url, digits, self._timeout)

    async def _chat_name(self, wa_chat_id: str) -> str:
        async with self.publisher.pg.connection() as conn:
            chat = await chats.worker_get_by_wa_id(
                conn, session_id=self.publisher.session_id, wa_chat_id=wa_chat_id
            )
        return chat.name if chat and chat.name else wa_chat_id.split("@", 1)[0]

    async def mark_read(self, wa_chat_id: str) -> None:
        name = await self._chat_name(wa_chat_id)
        async with self._page:
            await self._call(
                pages.open_chat_by_name, name, self._timeout
            )  # opening a chat marks it read
            await self._store(await self._call(pages.read_open_chat))

    async def sync(self) -> None:
        async with self._page:
            await self._sync_chats()

    async def refresh_qr(self) -> None:
        async with self._page:
            if not await self._call(pages.reload_qr):
                await self._call(pages.open_home, self._settings.wa_url)

    async def request_pairing_code(self, phone: str) -> str:
        """Ask the page for a pairing code for ``phone`` (the 2026-page issue builds this)."""
        log.warning("session=%s pairing code asked for but not supported yet", self.session_id)
        return "unsupported"

    async def logout(self) -> None:
        async with self._page:
            with contextlib.suppress(PageError, WebDriverException):
                await self._call(pages.logout, self._settings.wa_url)
        await self.publisher.forget_identity()


_LINKED = (
    SessionState.AUTHENTICATED,
    SessionState.READY,
    SessionState.DISCONNECTED,
    SessionState.CONFLICT,
)
