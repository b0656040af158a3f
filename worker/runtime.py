"""One WhatsApp session in one browser: the state machine of DESIGN §8, capture, and commands.

The runtime watches WhatsApp Web through a ``Bridge`` (one long-poll per tick), turns what it sees
into state transitions, deals with popups, stores every message it is told of (``capture``), and
runs commands between ticks; it catches up on what came meanwhile on every (re)attach. A bridge
that breaks at run time is replaced by the page bridge, keeping the session. ``_page`` keeps
multi-step work on the page atomic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from redis.asyncio import Redis
from selenium.common.exceptions import WebDriverException

from shared import jobs
from shared.constants import RedisNames
from shared.fencing import StaleFence
from shared.media.factory import media_store
from shared.settings import Settings
from shared.states import Reason, SessionState
from worker.attachment import Attachment
from worker.browser.bridge import BridgeBroken
from worker.browser.drift import Drift, DriftKind
from worker.browser.errors import BrowserError, PageError
from worker.browser.observed import Observation, Screen
from worker.browser.orphans import kill_orphans
from worker.browser.profile import ensure_profile_dir, remove_stale_locks
from worker.browser.thread import BrowserThread
from worker.capture import Capture
from worker.dialogs import Act, DialogWatch
from worker.drift_report import DriftReporter
from worker.linking import Linking
from worker.media import MediaFetcher
from worker.passkey import PasskeyFlow
from worker.publisher import Publisher
from worker.recycle import QUIET_S
from worker.sending import Sender
from worker.snapshots.keeper import SnapshotKeeper
from worker.snapshots.store import snapshot_store

log = logging.getLogger(__name__)

# WhatsApp rotates the QR about every 20 s; used for the expiresAt hint sent with each code
QR_LIFETIME = timedelta(seconds=20)
MAX_PAGE_FAILURES = 20
# a screen that is none of the known ones for this long is page drift (not a page in transit)
SCREEN_UNKNOWN_S = 10.0


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
        self._page = asyncio.Lock()
        self._stop = asyncio.Event()
        self._end = End.HANDOFF
        self._end_state: tuple[SessionState, str] | None = None
        self._qr_ref: str | None = None
        self._shown_qr = False
        self._own_name: str | None = None
        self._conflict_since: float | None = None
        self._unknown_since: float | None = None
        self._failures = 0
        self._recycle = False  # the memory watchdog asked for a hand-off (worker/recycle.py)
        self._recycled = False
        self._last_activity = time.monotonic()
        self._dialogs = DialogWatch(settings.unknown_dialog_s)
        self.drift = DriftReporter(
            publisher.pg, redis, names=RedisNames.of(settings), session_id=publisher.session_id
        )
        store = media_store(settings)
        self._media = MediaFetcher(settings, publisher, store, redis)
        self.capture = Capture(publisher, self._media)
        self._wa = Attachment(settings, publisher, browser, self.capture, self.drift)
        self._sender = Sender(settings, publisher, redis, self.capture, store)
        self._linking = Linking(publisher)
        self._passkey = PasskeyFlow(settings, publisher, self._needs_admin)
        self.snapshots = SnapshotKeeper(
            settings,
            snapshot_store(settings, publisher.pg),
            redis,
            session_id=publisher.session_id,
            worker_id=publisher.worker_id,
        )

    @property
    def session_id(self) -> str:
        return str(self.publisher.session_id)

    # --- lifecycle ---------------------------------------------------------------------

    def request_recycle(self) -> None:
        """The browser stays above APP_BROWSER_MAX_PSS_MB: hand the session off at the next
        quiet moment (``_recycle_if_quiet``)."""
        if not self._recycle:
            log.warning(
                "session=%s browser over its memory limit: recycle when quiet", self.session_id
            )
        self._recycle = True

    @property
    def recycling(self) -> bool:
        """The run ended in a memory recycle (the hand-off below), nothing else."""
        return self._recycled

    def _recycle_if_quiet(self) -> None:
        """Ready, and no message, ack or command for QUIET_S: a hand-off loses nothing now and
        the next browser opens the same profile without a QR."""
        if not self._recycle or self._stop.is_set() or self._page.locked():
            return
        if self.publisher.state != SessionState.READY:
            return
        if time.monotonic() - self._last_activity < QUIET_S:
            return
        log.info("session=%s recycling the browser (memory) by a hand-off", self.session_id)
        self._recycled = not self._stop.is_set()
        self.request_end(End.HANDOFF)

    def request_end(self, end: End, state: tuple[SessionState, str] | None = None) -> None:
        """Ask the loop to finish; ``state`` is written as the last transition, if given.
        A lost lease wins over any other end: this worker may write nothing more."""
        if end is End.LEASE_LOST:
            self._end, self._end_state = end, None
            self._stop.set()
        elif not self._stop.is_set():
            self._end, self._end_state = end, state
            self._stop.set()

    def end_reason(self, fallback: End) -> End:
        """How the run ended, even when it ended by an exception (``fallback``)."""
        return End.LEASE_LOST if self._end is End.LEASE_LOST else fallback

    async def run(self) -> End:
        try:
            await self.publisher.transition(SessionState.INITIALIZING, Reason.STARTING)
            if await self._launch():
                self.snapshots.start(self._linked)
                await self._watch()
        except StaleFence:
            pass  # the owner was told (it asked for LEASE_LOST): stop driving the browser now
        finally:
            if self._end is not End.LEASE_LOST and self._linked() and self._linked_here:
                await self.snapshots.settle()  # a link made seconds ago reaches the disk first
            await self._passkey.close()
            await self._wa.close()
            await self._browser.close()
            # after Chromium closed: its storage is all on disk now
            with contextlib.suppress(StaleFence):
                await self.snapshots.close(final=self._linked() and self._end is not End.LEASE_LOST)
            with contextlib.suppress(StaleFence):
                await self.drift.flush(force=True)
        if self._end_state is not None and self._end is not End.LEASE_LOST:
            with contextlib.suppress(StaleFence):
                await self.publisher.transition(*self._end_state)
        return self._end

    async def _launch(self) -> bool:
        try:
            profile = ensure_profile_dir(self._settings.profile_dir, self.session_id)
            await asyncio.to_thread(kill_orphans, profile)
            remove_stale_locks(profile)
            await self.snapshots.restore(profile)
            await self._browser.start(self._settings, profile)
            await self._passkey.prepare(self._browser)
            await self._wa.open()
        except BrowserError as exc:
            await self._block(exc.reason, str(exc))
            return False
        return True

    async def _block(self, reason: str, detail: str | None = None) -> None:
        await self._needs_admin(SessionState.BLOCKED, reason, detail)

    async def _needs_admin(self, state: SessionState, reason: str, detail: str | None) -> None:
        await self.publisher.give_up()  # first, so whoever sees the event sees it settled
        await self.publisher.transition(state, reason, detail)
        self.request_end(End.NEEDS_ADMIN)

    async def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                async with self._page:
                    wait_s = self._settings.poll_interval_s
                    if self.publisher.state == SessionState.READY:  # files to fetch meanwhile
                        wait_s = self._media.wait_s(wait_s)
                    seen = await self._wa.bridge.watch(wait_s)
                    await self._on_observation(seen)
                    if seen.screen is Screen.READY and not self._stop.is_set():
                        await self._media.work(self._wa.bridge)
                self._failures = 0
            except BridgeBroken as exc:
                async with self._page:
                    await self._wa.fall_back(str(exc))
            except (WebDriverException, PageError) as exc:
                self._failures += 1
                log.warning(
                    "session=%s page error (%d): %s", self.session_id, self._failures, _short(exc)
                )
                if self._failures >= MAX_PAGE_FAILURES:
                    await self._block(Reason.REPEATED_FAILURES, _short(exc))
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(0.2 * self._failures, 3)):
                        await self._stop.wait()
            await self.drift.flush()
            await asyncio.sleep(0)  # let a waiting command take the page lock
            self._recycle_if_quiet()

    # --- what the page shows -----------------------------------------------------------

    async def _on_observation(self, snap: Observation) -> None:
        if snap.drift:
            await self.drift.report(snap.drift)
        if snap.reattached:
            self._wa.caught_up = False  # a new document: what came meanwhile is read again
        await self._note_unknown_screen(snap)
        await self._on_screen(snap)
        if snap.messages or snap.acks:
            self._last_activity = time.monotonic()
        if not self._stop.is_set():
            await self.capture.record(snap.messages)
            await self.capture.acks(snap.acks)

    async def _on_screen(self, snap: Observation) -> None:
        if snap.screen not in (Screen.PASSKEY, Screen.PASSKEY_CODE):
            await self._passkey.on_screen(snap.screen)
        if snap.screen is Screen.UNSUPPORTED:
            await self._block(Reason.UNSUPPORTED_BROWSER, "WhatsApp Web refused this browser")
        elif snap.screen is Screen.CONFLICT:
            await self._on_conflict()
        elif snap.screen is Screen.PASSKEY:
            await self._passkey.on_check(self._wa.bridge, snap.alert)
        elif snap.screen is Screen.PASSKEY_CODE:
            await self._passkey.on_code(snap.passkey_code)
        elif await self._on_dialog(snap):
            return  # a popup is in the way: nothing under it can be clicked
        elif snap.screen is Screen.QR and snap.qr_ref:
            await self._on_qr(snap.qr_ref, logged_out=self._logged_out(snap))
        elif snap.screen is Screen.LINK_CODE and snap.link_code:
            await self._linking.on_code_screen(snap.link_code)
        elif snap.screen is Screen.QR_EXPIRED:
            await self._needs_admin(SessionState.STOPPED, Reason.QR_TIMEOUT, None)
        elif snap.screen is Screen.SYNCING:
            reason = Reason.QR_SCANNED if self._linked_here else Reason.RESTORED
            await self.publisher.transition(SessionState.AUTHENTICATED, reason)
        elif snap.screen is Screen.READY:
            await self._on_ready(snap)
        elif snap.screen is Screen.OFFLINE:
            await self.publisher.transition(SessionState.DISCONNECTED, Reason.NETWORK_LOST)

    def _linked(self) -> bool:
        """WhatsApp's storage holds a working link (what a snapshot is for)."""
        return self.publisher.state in _SNAPSHOT_STATES

    @property
    def _linked_here(self) -> bool:
        """This run showed a QR or a pairing code: a link that follows was made now."""
        return self._shown_qr or self._linking.used

    def _logged_out(self, snap: Observation) -> bool:
        return self.publisher.state in _LINKED or snap.logged_out_redirect

    async def _note_unknown_screen(self, snap: Observation) -> None:
        if snap.screen is not Screen.UNKNOWN:
            self._unknown_since = None
            return
        now = time.monotonic()
        self._unknown_since = self._unknown_since or now
        if now - self._unknown_since >= SCREEN_UNKNOWN_S:
            text = snap.excerpt or snap.url
            await self.drift.report([Drift.of(DriftKind.SCREEN_UNKNOWN, text, key=text[:40])])
            self._unknown_since = float("inf")  # once per stretch

    async def _on_dialog(self, snap: Observation) -> bool:
        """Deal with a popup; True when one is (still) in the way."""
        decision = self._dialogs.decide(snap.dialog, time.monotonic())
        if decision.act is Act.NONE or snap.dialog is None:
            return False
        if decision.new_unknown:
            await self.drift.report(
                [Drift.of(DriftKind.DIALOG_UNKNOWN, snap.dialog.text, key=snap.dialog.text)]
            )
        if decision.act is Act.PRESS:
            pressed = await self._wa.bridge.dismiss(decision.label)
            name = snap.dialog.known.name if snap.dialog.known else "?"
            log.info(
                "session=%s dialog=%s dismissed=%s button=%r",
                self.session_id,
                name,
                pressed,
                decision.label,
            )
        elif decision.act is Act.BLOCK:
            log.warning("session=%s blocked by a dialog: %r", self.session_id, decision.label[:40])
            await self._block(Reason.UNKNOWN_DIALOG, decision.label)
        return True

    async def _on_qr(self, ref: str, *, logged_out: bool) -> None:
        if logged_out:
            self._wa.caught_up = False
            await self.publisher.forget_identity()
        await self._linking.on_qr_screen()
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
        if waited >= self._settings.conflict_takeover_s and await self._wa.bridge.take_over():
            log.info("session=%s took over from another window", self.session_id)

    async def _on_ready(self, snap: Observation) -> None:
        previous = self.publisher.state
        if previous != SessionState.READY:
            reason = {
                SessionState.DISCONNECTED: Reason.NETWORK_RESTORED,
                SessionState.CONFLICT: Reason.TAKEN_OVER,
            }.get(
                previous or SessionState.IDLE,
                Reason.SYNCED if self._linked_here else Reason.RESTORED,
            )
            self._conflict_since = None
            self._linking.linked()
            if previous == SessionState.QR:  # linked and synced between two looks: say both
                await self.publisher.transition(SessionState.AUTHENTICATED, Reason.QR_SCANNED)
            name = snap.display_name or self._own_name
            if name is None:  # the 2026 page shows it only in the Profile drawer
                name = self._own_name = await self._wa.bridge.own_name()
            await self.publisher.ready(snap.phone, name, snap.lid)
            if not self._wa.caught_up:
                await self._wa.catch_up()
            await self.publisher.transition(SessionState.READY, reason)
        elif not self._wa.caught_up:
            await self._wa.catch_up()

    # --- commands ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _for_command(self) -> AsyncIterator[None]:
        """The page for a command: a long-poll waiting in it is ended at once."""
        if self._page.locked():
            await self._wa.interrupt()
        async with self._page:
            self._last_activity = time.monotonic()
            try:
                yield
            finally:
                self._last_activity = time.monotonic()

    async def send_text(self, job: jobs.SendText) -> None:
        async with self._for_command():
            try:
                await self._sender.send(self._wa.bridge, job)
            except BridgeBroken as exc:  # it may have gone out: looked for before it is sent
                await self._wa.fall_back(str(exc))
                await self._sender.send(self._wa.bridge, job, retry=True)

    async def send_media(self, job: jobs.SendMedia) -> None:
        async with self._for_command():
            try:
                await self._sender.send_media(self._wa.bridge, job)
            except BridgeBroken as exc:  # it may have gone out: looked for before it is sent
                await self._wa.fall_back(str(exc))
                await self._sender.send_media(self._wa.bridge, job, retry=True)

    async def retry_media(self, message_id: UUID) -> bool:
        """Download a message's file again now; False when it is stored (or expired) already."""
        if await self.publisher.media_retry(message_id) is None:
            return False
        self._media.look_again()
        async with self._for_command():
            await self._wa.run(self._media.work)
        return True

    async def mark_read(self, wa_chat_id: str) -> None:
        async with self._for_command():
            await self.capture.record(await self._wa.run(lambda b: b.mark_read(wa_chat_id)))

    async def sync(self) -> None:
        async with self._for_command():
            await self._wa.run(lambda _: self._wa.catch_up())

    async def refresh_qr(self) -> None:
        async with self._for_command():
            await self._wa.run(lambda b: b.refresh_qr())

    async def request_pairing_code(self, phone: str) -> str:
        async with self._for_command():
            return await self._wa.run(lambda b: self._linking.request(b, phone))

    async def passkey_answer(self, job: jobs.PasskeyAnswer) -> str:
        async with self._for_command():
            return await self._passkey.answer(job)

    async def passkey_cancel(self, job: jobs.PasskeyCancel) -> str:
        async with self._for_command():
            return await self._passkey.cancel(job)

    async def logout(self) -> None:
        async with self._for_command():
            with contextlib.suppress(PageError, WebDriverException, BrowserError):
                await self._wa.run(lambda b: b.logout())
        await self.publisher.forget_identity()


def _short(exc: Exception) -> str:
    """Selenium's messages carry a stack trace of the driver: keep the first line."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


_LINKED = (
    SessionState.AUTHENTICATED,
    SessionState.READY,
    SessionState.DISCONNECTED,
    SessionState.CONFLICT,
)
# linked and past the first sync: storage worth a snapshot
_SNAPSHOT_STATES = (SessionState.READY, SessionState.DISCONNECTED, SessionState.CONFLICT)
