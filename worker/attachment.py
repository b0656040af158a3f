"""A session's way into WhatsApp Web: the bridge in use (recorded on the session, logged), the
catch-up on what came while nobody watched, and the switch to the page bridge when the module
bridge breaks at run time (the session and its page are kept)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared.settings import Settings
from worker.browser.bridge import Bridge, BridgeBroken
from worker.browser.bridges import open_bridge, page_bridge
from worker.browser.drift import Drift, DriftKind
from worker.browser.errors import BrowserError
from worker.browser.poke import Poker, debugger_address
from worker.browser.thread import BrowserThread
from worker.capture import Capture
from worker.drift_report import DriftReporter
from worker.publisher import Publisher

log = logging.getLogger(__name__)
T = TypeVar("T")


class Attachment:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        browser: BrowserThread,
        capture: Capture,
        drift: DriftReporter,
    ) -> None:
        self._settings = settings
        self._publisher = publisher
        self._browser = browser
        self._capture = capture
        self._drift = drift
        self._bridge: Bridge | None = None
        self._poker = Poker(None)
        self.caught_up = False  # since the page was (re)loaded, or the bridge changed

    @property
    def bridge(self) -> Bridge:
        if self._bridge is None:
            raise BrowserError("WhatsApp Web is not open yet", reason="browser_not_running")
        return self._bridge

    async def open(self) -> None:
        """Load WhatsApp Web with the bridge APP_BRIDGE asks for; raises ``BrowserError``."""
        self._poker = Poker(await self._browser.call(debugger_address))
        bridge = await open_bridge(self._settings, self._browser, self._capture, self._poker)
        await self._use(bridge)

    async def close(self) -> None:
        await self._poker.close()

    async def _use(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self.caught_up = False
        await self._publisher.bridge(bridge.kind)
        log.info("session=%s bridge=%s", self._publisher.session_id, bridge.kind)

    async def interrupt(self) -> None:
        if self._bridge is not None:
            await self._bridge.interrupt()

    async def fall_back(self, why: str) -> None:
        """The module bridge broke: the page bridge on the same page; it catches up itself."""
        log.warning(
            "session=%s module bridge failed: %s; page bridge now",
            self._publisher.session_id,
            why[:200],
        )
        await self._drift.report([Drift.of(DriftKind.MODULE_BRIDGE_FAILED, why, key="module")])
        await self._use(page_bridge(self._settings, self._browser, self._capture, self._poker))

    async def run(self, op: Callable[[Bridge], Awaitable[T]]) -> T:
        """``op`` on the bridge; on the page bridge again when the module bridge broke."""
        try:
            return await op(self.bridge)
        except BridgeBroken as exc:
            await self.fall_back(str(exc))
            return await op(self.bridge)

    async def catch_up(self) -> None:
        """What came while nobody watched (start, reload, hand-off, another bridge), from the
        last stored message of each chat on."""
        limit = self._settings.sync_chats_limit
        cursors = await self._capture.cursors(limit * 3)
        got = await self.bridge.catch_up(cursors, limit)
        await self._drift.report(got.drift)
        await self._capture.record(got.messages)
        self.caught_up = True
        log.info(
            "session=%s synced chats=%d messages=%d bridge=%s",
            self._publisher.session_id,
            got.chats,
            len(got.messages),
            self.bridge.kind,
        )
