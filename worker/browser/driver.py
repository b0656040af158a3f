"""Start one Chromium under undetected-chromedriver (or plain Selenium); stop it, leaving nothing.

Every launch runs Chromium in its own process group with a private TMPDIR, so shutdown can find and
kill all of its processes and delete all of its temp files, even after a half-finished start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from worker.browser import procs, tempdirs
from worker.browser.chromedriver import private_copy
from worker.browser.chromium import RELAY_EXTENSION, chrome_arguments, major_version
from worker.browser.errors import BrowserStartError
from worker.browser.launched import EXIT_GRACE_S, Launch, cleanup, watch
from worker.browser.page_channel import close_channel
from worker.browser.uc_hooks import uc_hooks

log = logging.getLogger(__name__)

QUIT_TIMEOUT_S = 10.0  # driver.quit() may hang on a wedged chromedriver; we kill instead

_registry_lock = threading.Lock()
_launches: weakref.WeakKeyDictionary[WebDriver, Launch] = weakref.WeakKeyDictionary()
_finished: weakref.WeakSet[WebDriver] = weakref.WeakSet()


def launch(settings: Settings, profile: Path) -> WebDriver:
    """Start Chromium on ``profile`` and return its driver; blocking. Raises BrowserStartError."""
    _check_executable(settings.chromium_path, "Chromium", "APP_CHROMIUM_PATH")
    _check_executable(settings.chromedriver_path, "chromedriver", "APP_CHROMEDRIVER_PATH")
    if not profile.is_dir():
        raise BrowserStartError(f"profile directory {profile} does not exist")
    major = major_version(settings.chromium_path)
    kind = settings.browser_driver
    tempdirs.sweep_once()
    state = Launch(
        kind=kind,
        workdir=tempdirs.make(tempdirs.LAUNCH_PREFIX),
        chromedriver_exe=os.path.realpath(settings.chromedriver_path),
    )
    # Chromium's temp files and its crash database (else under $HOME) go to the launch's workdir
    env = {
        **os.environ,
        "TMPDIR": str(state.workdir),
        "XDG_CONFIG_HOME": str(state.workdir / "config"),
    }
    done = threading.Event()
    watchdog = threading.Thread(
        target=watch,
        args=(state, settings.browser_start_timeout_s, done),
        name="browser-start-watchdog",
        daemon=True,
    )
    started = time.monotonic()
    try:
        if kind == "uc":
            state.chromedriver_exe = str(private_copy(settings.chromedriver_path))
        watchdog.start()
        extension = RELAY_EXTENSION if settings.passkey_relay == "extension" else None
        args = chrome_arguments(major, extension, settings.chromium_extra_arg_list)
        if kind == "uc":
            driver = _start_uc(settings, profile, args=args, major=major, env=env, state=state)
        else:
            driver = _start_selenium(settings, profile, args=args, env=env, state=state)
    except BaseException as exc:  # also KeyboardInterrupt: never leave a half-started browser
        done.set()
        if watchdog.is_alive():
            watchdog.join()
        message = _start_failure_message(settings, state, exc)
        cleanup(state, graceful=False)
        if isinstance(exc, Exception):
            raise BrowserStartError(message) from exc
        raise
    done.set()
    watchdog.join()
    with _registry_lock:
        _launches[driver] = state
    if state.failure is not None:  # the watchdog fired just as the start succeeded
        shutdown(driver)
        raise BrowserStartError(_start_failure_message(settings, state, None))
    log.info(
        "browser started driver=%s pid=%s profile=%s elapsed_ms=%d",
        kind,
        browser_pid(driver),
        profile,
        (time.monotonic() - started) * 1000,
    )
    return driver


def shutdown(driver: WebDriver | None) -> None:
    """Quit the driver and reap every process and temp file of its launch; never raises."""
    if driver is None:
        return
    with _registry_lock:
        if driver in _finished:
            return
        _finished.add(driver)
        state = _launches.pop(driver, None)
    close_channel(driver)
    try:
        if state is None:  # not from launch(): best effort with what the driver exposes
            _bounded_quit(driver)
            for pid in (getattr(driver, "browser_pid", None), _service_pid(driver)):
                if isinstance(pid, int):
                    procs.reap(pid)
            return
        if state.chromedriver is None:
            state.chromedriver = _service_process(driver)
        _close_gracefully(driver, state)
        _bounded_quit(driver)
        cleanup(state, graceful=True)
        if state.kind == "uc":
            # uc's __del__ calls quit() again, which SIGTERMs browser_pid: never a recycled pid
            driver.browser_pid = None  # type: ignore[attr-defined]
    except Exception:
        log.exception("browser shutdown failed; continuing")


def browser_pid(driver: WebDriver) -> int | None:
    """Pid of Chromium's main (browser) process, the root for memory figures; None if unknown."""
    with _registry_lock:
        state = _launches.get(driver)
    if state is not None and state.browser is not None:
        return state.browser.pid
    pid = getattr(driver, "browser_pid", None)
    if isinstance(pid, int):
        return pid
    service_pid = _service_pid(driver)
    if service_pid is None:
        return None
    table = procs.snapshot()
    children = [i.pid for i in table.values() if i.ppid == service_pid and not i.zombie]
    return children[0] if children else None


def _start_uc(
    settings: Settings,
    profile: Path,
    *,
    args: list[str],
    major: int,
    env: dict[str, str],
    state: Launch,
) -> WebDriver:
    import undetected_chromedriver as uc  # lazy: the selenium fallback must not need it

    options = uc.ChromeOptions()
    for arg in args:
        options.add_argument(arg)
    with uc_hooks(env=env, data_dir=state.workdir, on_browser=state.adopt_browser):
        driver: WebDriver = uc.Chrome(
            options=options,
            user_data_dir=str(profile),
            driver_executable_path=state.chromedriver_exe,
            browser_executable_path=settings.chromium_path,
            version_main=major,
            headless=settings.headless,
            use_subprocess=True,
            log_level=2,
        )
    state.chromedriver = _service_process(driver)
    if state.browser is None:  # a uc release that no longer starts Chromium via our hook
        log.warning("uc started Chromium outside our hook: its output pipes are not drained")
    return driver


def _start_selenium(
    settings: Settings,
    profile: Path,
    *,
    args: list[str],
    env: dict[str, str],
    state: Launch,
) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = settings.chromium_path
    for arg in [*args, f"--user-data-dir={profile}"]:
        options.add_argument(arg)
    if settings.headless:
        options.add_argument("--headless=new")
    # what uc does for us: no automation banner switch, navigator.webdriver false
    options.add_experimental_option("excludeSwitches", ["enable-automation"])
    options.add_argument("--disable-blink-features=AutomationControlled")
    # an explicit path keeps Selenium Manager (and its network lookups) out of it; a new session
    # makes chromedriver and the Chromium it spawns one process group we can kill as a whole
    service = Service(
        executable_path=settings.chromedriver_path,
        log_output=subprocess.DEVNULL,
        env=env,
        popen_kw={"start_new_session": True},
    )
    state.service = service
    try:
        return webdriver.Chrome(service=service, options=options)
    finally:
        state.adopt_service()


def _close_gracefully(driver: WebDriver, state: Launch) -> None:
    """Close Chromium as its window would be closed, and wait for it: it writes what the page
    keeps in localStorage to the profile on the way out, which a killed browser may not have
    done yet (WhatsApp keeps its device keys there; losing them means a new QR)."""
    browser = state.browser
    if browser is None or browser.poll() is not None:
        return

    def close() -> None:
        try:
            driver.execute_cdp_cmd("Browser.close", {})
        except Exception as exc:  # a wedged or closing browser: quit() and the kill follow
            log.debug("Browser.close failed: %s", exc)

    closer = threading.Thread(target=close, name="browser-close", daemon=True)
    closer.start()
    closer.join(EXIT_GRACE_S)
    with contextlib.suppress(subprocess.TimeoutExpired):
        browser.wait(EXIT_GRACE_S)


def _bounded_quit(driver: WebDriver) -> None:
    def run() -> None:
        try:
            driver.quit()
        except Exception as exc:  # an already-quit or half-started driver
            log.debug("driver.quit() failed: %s", exc)
        # uc's quit() skips this: its keep-alive sockets to chromedriver would leak one per launch
        with contextlib.suppress(Exception):
            driver.command_executor.close()  # type: ignore[union-attr]

    quitter = threading.Thread(target=run, name="browser-quit", daemon=True)
    quitter.start()
    quitter.join(QUIT_TIMEOUT_S)
    if quitter.is_alive():
        log.warning("driver.quit() still blocked after %gs; killing the browser", QUIT_TIMEOUT_S)


def _service_process(driver: WebDriver) -> subprocess.Popen[bytes] | None:
    service: Any = getattr(driver, "service", None)
    proc = getattr(service, "process", None)
    return proc if isinstance(proc, subprocess.Popen) else None


def _service_pid(driver: WebDriver) -> int | None:
    proc = _service_process(driver)
    return proc.pid if proc is not None else None


def _check_executable(path: str, what: str, env_name: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise BrowserStartError(
            f"{what} not found or not executable at {path!r}; install it or set {env_name}"
        )


def _start_failure_message(settings: Settings, state: Launch, exc: BaseException | None) -> str:
    detail = getattr(exc, "msg", None) or str(exc or "") or type(exc).__name__
    first = " ".join(str(detail).strip().splitlines()[:2])[:400]
    parts = [
        f"browser did not start (driver={settings.browser_driver}, "
        f"chromium={settings.chromium_path}): {state.failure or first}"
    ]
    if state.failure is not None:
        parts.append(f"driver said: {first}")
    tail = state.stderr.tail() if state.stderr is not None else ""
    if tail:
        parts.append(f"chromium stderr (last lines):\n{tail}")
    return "\n".join(parts)
