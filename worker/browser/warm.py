"""A warm browser: an idle worker keeps one Chromium started, on about:blank with a profile of
its own, and turns it into the browser of the next session it claims whose profile is still
empty (a session that was never linked: create -> first QR skips the cold start).

The warm profile is ``<APP_PROFILE_DIR>/.warm-<host>.<worker id>-<pid>-<n>`` (a name no session
id can take), on the same filesystem as the sessions' profiles. On adoption the directory is
renamed to the session's profile path and a symlink is left at the old path: Chromium keeps
writing through it into the session's profile; the symlink goes once that browser is gone
(``sweep``).

Never more than one browser per worker: a claim whose profile is not empty shuts the warm one
down before the session's own starts; the worker refills only while idle.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import socket
import threading
import time
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from worker.browser.driver import launch, shutdown
from worker.browser.orphans import processes_using

log = logging.getLogger(__name__)

PREFIX = ".warm-"
BLANK = "about:blank"
STALE_S = 120.0  # another worker's leftover is swept only when this old
READY = ".ready"  # <warm profile>.ready beside it while a started browser waits (operators, bench)


def ready_marker(path: Path) -> Path:
    return path.with_name(path.name + READY)


def is_empty_profile(profile: Path) -> bool:
    """True when ``profile`` does not exist or has nothing in it (never used by a browser)."""
    try:
        with os.scandir(profile) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        return False


def adopt_dir(warm: Path, profile: Path) -> None:
    """Move the warm profile to ``profile`` (empty or absent) and leave a symlink behind, so the
    running Chromium's paths reach the new place."""
    with contextlib.suppress(FileNotFoundError):
        profile.rmdir()  # empty: ensure_profile_dir made it
    os.rename(warm, profile)
    os.symlink(profile, warm)


class WarmBrowser:
    """At most one started Chromium waiting for a claim; thread-safe (the browser thread takes
    it, the worker's loop fills it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._base = settings.profile_dir
        # leftovers of this host's workers that are gone (a crash, a restart under a new worker
        # id) are swept too; other hosts' (a shared volume) are never touched
        self._host_prefix = f"{PREFIX}{_safe(socket.gethostname())}."
        self._prefix = f"{self._host_prefix}{_safe(settings.worker_id)}-"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._ready.set()  # nothing starting
        self._driver: WebDriver | None = None
        self._dir: Path | None = None
        self._closed = False
        self._held = False  # owning a session: no new warm browser until idle() again
        self.adopted = 0  # claims that got the warm browser (operators: the log)

    @property
    def enabled(self) -> bool:
        return self._settings.warm_browser

    def hold(self) -> None:
        """A session is being claimed: no warm browser starts from now on (one already starting
        finishes, and ``take`` waits for it)."""
        with self._lock:
            self._held = True

    def idle(self) -> None:
        """The worker owns no session any more: ``fill`` may start one again."""
        with self._lock:
            self._held = False

    def fill(self) -> None:
        """Start the warm browser if there is none; blocking (run it in a thread). Never raises:
        a failed start only means the next claim starts cold."""
        with self._lock:
            if not self.enabled or self._closed or self._held or self._driver is not None:
                return
            if not self._ready.is_set():  # another fill is starting one
                return
            self._ready.clear()
            path = self._base / f"{self._prefix}{os.getpid()}-{next(self._counter)}"
        started = time.monotonic()
        driver: WebDriver | None = None
        try:
            self.sweep()
            path.mkdir(parents=True, exist_ok=False)
            driver = launch(self._settings, path)
            driver.get(BLANK)
        except Exception as exc:  # BrowserStartError, a full disk, a WebDriver error
            log.warning("warm browser did not start: %s", str(exc).splitlines()[0][:300])
            shutdown(driver)
            shutil.rmtree(path, ignore_errors=True)
            driver = None
        with self._lock:
            if driver is not None and not self._closed:
                self._driver, self._dir = driver, path
                with contextlib.suppress(OSError):
                    ready_marker(path).touch()
                log.info("warm browser ready elapsed_ms=%d", (time.monotonic() - started) * 1000)
            elif driver is not None:  # closed while starting
                shutdown(driver)
                shutil.rmtree(path, ignore_errors=True)
            self._ready.set()

    def take(self, profile: Path, wait_s: float) -> WebDriver | None:
        """The warm browser, now the browser of ``profile``, or None (start cold then). A warm
        browser that cannot serve this profile (not empty) is shut down first: the session's
        own browser is then the worker's only one."""
        if not self.enabled:
            return None
        self.hold()
        self._ready.wait(wait_s)  # one still starting is nearly done: quicker than a cold start
        with self._lock:
            driver, path = self._driver, self._dir
            self._driver = self._dir = None
        if driver is None or path is None:
            return None
        ready_marker(path).unlink(missing_ok=True)
        if not is_empty_profile(profile):
            log.info("warm browser not used: profile=%s already has data", profile)
            self._drop(driver, path)
            return None
        try:
            adopt_dir(path, profile)
        except OSError as exc:
            log.warning("warm browser not used: moving its profile failed: %s", exc)
            self._drop(driver, path)
            return None
        self.adopted += 1
        log.info("warm browser adopted profile=%s", profile)
        return driver

    def close(self) -> None:
        """Shut the warm browser down (worker exit); blocking, never raises."""
        with self._lock:
            self._closed = True
            driver, path = self._driver, self._dir
            self._driver = self._dir = None
        if driver is not None and path is not None:
            self._drop(driver, path)
        self.sweep()

    def sweep(self) -> None:
        """Remove leftovers of this host's workers that no browser uses: symlinks of adopted
        profiles whose browser is gone, warm profiles of an earlier run (never the one in use;
        another worker's only once older than STALE_S, so one being made is left alone)."""
        with contextlib.suppress(OSError):
            for entry in self._base.iterdir():
                if not entry.name.startswith(self._host_prefix) or entry == self._dir:
                    continue
                if not entry.name.startswith(self._prefix) and not _stale(entry):
                    continue
                if entry.name.endswith(READY):
                    if self._dir is None or entry != ready_marker(self._dir):
                        entry.unlink(missing_ok=True)
                elif entry.is_symlink():
                    if not _in_use(entry):
                        entry.unlink(missing_ok=True)
                elif not _in_use(entry):
                    shutil.rmtree(entry, ignore_errors=True)

    def _drop(self, driver: WebDriver, path: Path) -> None:
        ready_marker(path).unlink(missing_ok=True)
        shutdown(driver)
        shutil.rmtree(path, ignore_errors=True)


def _stale(path: Path) -> bool:
    try:
        return time.time() - path.lstat().st_mtime > STALE_S
    except OSError:
        return False


def _in_use(path: Path) -> bool:
    return bool(processes_using(path, resolve=False))


def _safe(worker_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in worker_id)[:40]
