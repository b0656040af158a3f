"""Page scripts go over Chromium's DevTools socket (chromedriver keeps every script answer alive
in the page); they answer as WebDriver's would, errors included, and go through WebDriver when
the socket cannot be had."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import JavascriptException, TimeoutException
from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from tests.support.browsers import private_tempdirs, static_page
from worker.browser import page_channel, scripts
from worker.browser.page_channel import channel_for
from worker.browser.thread import BrowserThread

pytestmark = pytest.mark.e2e

_HTML = b"<!doctype html><title>probe</title><p id=p>hello</p>"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    with static_page(_HTML) as url:
        yield url


@pytest.fixture(autouse=True, scope="module")
def private_tmp() -> Iterator[Path]:
    yield from private_tempdirs()


@pytest.fixture
async def browser(tmp_path: Path, page_url: str) -> AsyncIterator[BrowserThread]:
    thread = BrowserThread()
    settings = Settings(mode="test", profile_dir=tmp_path, browser_driver="uc")
    profile = tmp_path / "p"
    profile.mkdir()
    await thread.start(settings, profile)
    await thread.call(lambda d: d.get(page_url))
    try:
        yield thread
    finally:
        await thread.close()


def _async(driver: WebDriver, body: str, *args: object, within_s: float = 5) -> object:
    return scripts.execute_async(driver, body, *args, answer_within_s=within_s)


async def test_answers_come_over_the_socket_as_webdriver_gives_them(
    browser: BrowserThread,
) -> None:
    got = await browser.call(
        scripts.execute,
        "return [arguments[0] + 1, document.title, arguments[1], undefined]",
        41,
        {"a": [1]},
    )
    assert got == [42, "probe", {"a": [1]}, None]
    assert await browser.call(lambda d: channel_for(d).connected)
    late = await browser.call(
        _async, "const done = arguments[1]; setTimeout(() => done({n: arguments[0]}), 50)", 7
    )
    assert late == {"n": 7}
    assert await browser.call(scripts.execute, "return null") is None


async def test_errors_are_webdrivers_and_the_next_call_works(browser: BrowserThread) -> None:
    with pytest.raises(JavascriptException, match="boom"):
        await browser.call(scripts.execute, "throw new Error('boom')")
    with pytest.raises(JavascriptException, match="async boom"):
        await browser.call(_async, "throw new Error('async boom')")
    # no answer within the script's deadline (plus the slack, made short here)
    saved, scripts._ANSWER_SLACK_S = scripts._ANSWER_SLACK_S, 0.5
    try:
        with pytest.raises(TimeoutException):
            await browser.call(_async, "/* never calls back */", within_s=0.5)
    finally:
        scripts._ANSWER_SLACK_S = saved
    # the document goes away while a script waits
    with pytest.raises(JavascriptException, match="document unloaded"):
        await browser.call(
            _async,
            "setTimeout(() => { location.reload(); }, 50)",
        )
    # and the next call reaches the new document (once it has loaded)
    title = None
    for _ in range(100):
        with contextlib.suppress(JavascriptException):  # between documents
            title = await browser.call(scripts.execute, "return document.title")
        if title == "probe":
            break
        await asyncio.sleep(0.1)
    assert title == "probe"


async def test_without_a_devtools_address_webdriver_carries_them(
    tmp_path: Path,
    page_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(page_channel, "debugger_address", lambda driver: None)
    thread = BrowserThread()
    settings = Settings(mode="test", profile_dir=tmp_path, browser_driver="uc")
    profile = tmp_path / "q"
    profile.mkdir()
    await thread.start(settings, profile)
    try:
        await thread.call(lambda d: d.get(page_url))
        with caplog.at_level(logging.WARNING, logger=page_channel.__name__):
            for _ in range(3):
                assert await thread.call(scripts.execute, "return document.title") == "probe"
            late = await thread.call(_async, "arguments[0](document.title)")
        assert late == "probe"
        assert not await thread.call(lambda d: channel_for(d).connected)
        said = [r for r in caplog.records if "through WebDriver" in r.getMessage()]
        assert len(said) == 1, [r.getMessage() for r in caplog.records]  # said once
    finally:
        await thread.close()
