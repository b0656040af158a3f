"""Which bridge a session uses: ``open_bridge`` loads WhatsApp Web with the one ``APP_BRIDGE``
asks for (injecting wa-js first unless it is ``page``); ``page_bridge`` is the fallback."""

from __future__ import annotations

import asyncio
import logging
import time

from shared.settings import Settings
from worker.browser import actions, pages, scripts, wajs
from worker.browser.bridge import Bridge, ChatDirectory
from worker.browser.errors import BrowserError
from worker.browser.module_bridge import ModuleBridge
from worker.browser.observed import Screen
from worker.browser.page_bridge import PageBridge
from worker.browser.poke import Poker
from worker.browser.thread import BrowserThread

log = logging.getLogger(__name__)

READY_POLL_S = 0.1
UI_CHECK_S = 1.0  # while waiting for WPP, look for a screen that means it will never come


async def open_bridge(
    settings: Settings, browser: BrowserThread, directory: ChatDirectory, poker: Poker
) -> Bridge:
    """Load WhatsApp Web in the started browser with the bridge ``APP_BRIDGE`` asks for.

    ``module`` fails with reason ``bridge_unavailable`` when wa-js is missing or WPP does not get
    ready within ``APP_BRIDGE_READY_S``; ``auto`` uses the page bridge then.
    """
    mode = settings.bridge
    injected = False
    if mode != "page":
        try:
            sources = wajs.sources(settings)
        except wajs.WajsMissing:
            if mode == "module":
                raise
            log.warning("wa-js not found at %s: using the page bridge", wajs.wajs_path(settings))
        else:
            await browser.call(wajs.install, sources)
            injected = True
    await browser.call(actions.open_home, settings.wa_url)
    if injected:
        screen = await _wait_ready(browser, settings.bridge_ready_s)
        if screen is Screen.READY or (mode == "module" and screen is Screen.UNSUPPORTED):
            return ModuleBridge(settings, browser, directory, poker)
        if mode == "module":
            raise BrowserError(
                f"WPP did not get ready within {settings.bridge_ready_s:g} s "
                "(APP_BRIDGE_READY_S): this WhatsApp Web is not one the wa-js build knows; "
                "update wa-js (APP_WAJS_PATH) or use APP_BRIDGE=auto|page",
                reason="bridge_unavailable",
            )
        log.info("WPP not ready within %gs: using the page bridge", settings.bridge_ready_s)
    return PageBridge(settings, browser, directory, poker)


def page_bridge(
    settings: Settings, browser: BrowserThread, directory: ChatDirectory, poker: Poker
) -> Bridge:
    """The page bridge on the page as it is (the module bridge broke at run time)."""
    return PageBridge(settings, browser, directory, poker)


async def _wait_ready(browser: BrowserThread, timeout_s: float) -> Screen:
    """READY once WPP is ready; UNSUPPORTED when the page refuses the browser; else LOADING."""
    deadline = time.monotonic() + timeout_s
    looked = 0.0
    while True:
        if await browser.call(scripts.module_ready):
            return Screen.READY
        now = time.monotonic()
        if now - looked >= UI_CHECK_S:
            looked = now
            if (await browser.call(pages.snapshot)).screen is Screen.UNSUPPORTED:
                return Screen.UNSUPPORTED
        if now >= deadline:
            return Screen.LOADING
        await asyncio.sleep(READY_POLL_S)
