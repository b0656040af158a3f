"""BrowserThread: asyncio awaits Selenium work done on one owner thread; close always cleans up."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from tests.support.browsers import private_tempdirs
from worker.browser import procs, thread
from worker.browser.errors import BrowserError, BrowserStartError
from worker.browser.thread import BrowserThread

PAGE = "data:text/html,<title>probe</title><p id=p>hello</p>"


@pytest.fixture(autouse=True, scope="module")
def private_tmp() -> Iterator[Path]:
    yield from private_tempdirs()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"mode": "test", "profile_dir": tmp_path, "browser_driver": "uc"}
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def _profile(tmp_path: Path) -> Path:
    profile = tmp_path / "sess-1"
    profile.mkdir()
    return profile


def _children() -> list[procs.ProcInfo]:
    me = os.getpid()
    names = ("chromium", "chromedriver")
    return [i for i in procs.snapshot().values() if i.ppid == me and i.comm in names]


def _title(driver: WebDriver, url: str) -> tuple[str, str]:
    driver.get(url)
    return driver.title, threading.current_thread().name


async def test_close_without_start_and_twice() -> None:
    browser = BrowserThread()
    await browser.close()
    await browser.close()
    with pytest.raises(BrowserError) as err:
        await browser.call(_title, PAGE)
    assert err.value.reason == "browser_not_running"


async def test_start_failure_propagates_and_close_is_still_clean(tmp_path: Path) -> None:
    browser = BrowserThread()
    with pytest.raises(BrowserStartError):
        await browser.start(_settings(tmp_path, chromium_path="/nope/chromium"), tmp_path)
    assert not browser.running
    await browser.close()


@pytest.mark.e2e
async def test_calls_run_on_the_owner_thread(tmp_path: Path) -> None:
    browser = BrowserThread(name="browser-test")
    try:
        await browser.start(_settings(tmp_path), _profile(tmp_path))
        assert browser.running
        assert browser.browser_pid is not None and procs.alive(browser.browser_pid)
        title, thread_name = await browser.call(_title, PAGE)
        assert title == "probe"
        assert thread_name.startswith("browser-test")
        with pytest.raises(RuntimeError):
            _ = browser.driver  # not on the browser thread
        same = await browser.call(lambda d: browser.driver is d)
        assert same is True
    finally:
        await browser.close()
    assert browser.browser_pid is None
    assert _children() == []
    await browser.close()


@pytest.mark.e2e
async def test_close_during_start_leaves_no_browser(tmp_path: Path) -> None:
    browser = BrowserThread()
    starting = asyncio.create_task(browser.start(_settings(tmp_path), _profile(tmp_path)))
    for _ in range(1500):  # tiny poll, 30 s at most: until Chromium or chromedriver exists
        if _children():
            break
        await asyncio.sleep(0.02)
    await browser.close()
    assert _children() == []  # close() waited for the start, then shut its browser down
    with pytest.raises(BrowserError) as err:
        await starting
    assert err.value.reason == "browser_closed"


@pytest.mark.e2e
async def test_close_unsticks_a_blocked_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Selenium call that never returns must not keep close() (or the browser) alive."""
    monkeypatch.setattr(thread, "CLOSE_GRACE_S", 0.5)
    browser = BrowserThread()
    await browser.start(_settings(tmp_path), _profile(tmp_path))
    entered = threading.Event()

    def hang(driver: WebDriver) -> object:
        driver.set_script_timeout(120)
        entered.set()
        return driver.execute_async_script("/* never calls back */")

    stuck = asyncio.create_task(browser.call(hang))
    assert await asyncio.to_thread(entered.wait, 20)
    await browser.close()
    with pytest.raises(Exception):  # noqa: B017 - whatever the dead connection raises
        await stuck
    assert _children() == []
