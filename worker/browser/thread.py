"""One thread owns the browser; asyncio code awaits work on it (Selenium calls are blocking).

Every Selenium call of a session goes through ``BrowserThread.call`` so they never interleave.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from worker.browser.driver import browser_pid, launch, shutdown
from worker.browser.errors import BrowserError
from worker.browser.warm import WarmBrowser

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

CLOSE_GRACE_S = 15.0  # how long close() lets a running call finish before killing the browser


class BrowserThread:
    """A one-thread executor holding one WebDriver; ``call(fn, ...)`` runs ``fn(driver, ...)``."""

    def __init__(self, name: str = "browser", warm: WarmBrowser | None = None) -> None:
        self._name = name
        self._warm = warm  # the worker's warm browser, adopted when the profile is new
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name, initializer=self._bind_thread
        )
        self._thread_id: int | None = None
        self._driver: WebDriver | None = None
        self._browser_pid: int | None = None
        self._swap = threading.Lock()  # close() may run off the owner thread if that one is stuck
        self._closed = False

    @property
    def driver(self) -> WebDriver:
        """The driver, for functions running inside ``call`` only (it is not thread-safe)."""
        if threading.get_ident() != self._thread_id:
            raise RuntimeError("BrowserThread.driver is only usable inside BrowserThread.call()")
        if self._driver is None:
            raise BrowserError("the browser is not running", reason="browser_not_running")
        return self._driver

    @property
    def running(self) -> bool:
        return self._driver is not None

    @property
    def browser_pid(self) -> int | None:
        """Chromium's main process while running (root of the ``browser_pss_mb`` figure)."""
        return self._browser_pid

    async def start(self, settings: Settings, profile: Path) -> None:
        """Launch Chromium on the browser thread; raises BrowserStartError."""
        if self._driver is not None:
            raise BrowserError("the browser is already running", reason="browser_running")
        await self._run(self._launch, settings, profile)
        if self._closed:
            raise BrowserError("closed while the browser was starting", reason="browser_closed")

    async def call(
        self, fn: Callable[Concatenate[WebDriver, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(driver, *args, **kwargs)`` on the browser thread and return its result."""
        driver = self._driver
        if driver is None:
            raise BrowserError("the browser is not running", reason="browser_not_running")
        return await self._run(fn, driver, *args, **kwargs)

    async def close(self) -> None:
        """Shut the browser down and join the thread; never raises, safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            loop = asyncio.get_running_loop()
            # Queued behind whatever runs now, a start included, so no browser escapes. If the
            # running call is stuck (a wedged Selenium request), shut down from another thread:
            # killing Chromium is what unsticks it.
            queued = loop.run_in_executor(self._executor, self._shutdown)
            try:
                await asyncio.wait_for(asyncio.shield(queued), CLOSE_GRACE_S)
            except TimeoutError:
                log.warning("browser thread busy for %gs; closing from outside", CLOSE_GRACE_S)
                await asyncio.to_thread(self._shutdown)
            await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        except Exception:
            log.exception("browser thread close failed name=%s", self._name)

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._closed:
            raise BrowserError("the browser thread is closed", reason="browser_closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _launch(self, settings: Settings, profile: Path) -> None:
        # the driver is stored here, on the owner thread, so a close() queued meanwhile finds it
        if self._closed:
            raise BrowserError("the browser thread is closed", reason="browser_closed")
        driver = None
        if self._warm is not None:
            driver = self._warm.take(profile, wait_s=settings.browser_start_timeout_s)
        if driver is None:
            driver = launch(settings, profile)
        with self._swap:
            self._driver, self._browser_pid = driver, browser_pid(driver)

    def _shutdown(self) -> None:
        with self._swap:
            driver, self._driver, self._browser_pid = self._driver, None, None
        shutdown(driver)

    def _bind_thread(self) -> None:
        self._thread_id = threading.get_ident()
