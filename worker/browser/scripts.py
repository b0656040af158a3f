"""The page's JS (``js/``), run with the selector table as its first arguments.

Every page-object script receives ``(SELECTORS, TEXTS, *args)``: the markup it looks for comes
from ``selectors.py``, never from the script itself. The module bridge's calls reach the in-page
bridge (``js/module/bridge.js``, injected by ``wajs``) and read no markup.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from worker.browser.page_channel import ChannelDown, async_expression, channel_for, sync_expression
from worker.browser.selectors import SELECTORS, TEXTS

_JS_DIR = Path(__file__).with_name("js")
# scripts that use a helper get it prepended (JS files cannot import each other here)
_NEEDS = {"snapshot.js": ("chat_row.js",), "chat_list.js": ("chat_row.js",)}

# observer + snapshot in one call: wait inside the page until it changes (or the timeout), then
# look. arguments: SELECTORS, TEXTS, timeout ms, (callback)
_WAIT = """
%s
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[2];
const snap = () => { %s };
const finish = () => { window.__waWake = null; window.__waChanged = false; done(snap()); };
if (window.__waChanged) { finish(); }
else {
  const timer = setTimeout(finish, timeoutMs);
  window.__waWake = () => { clearTimeout(timer); finish(); };
}
"""


# the module bridge's long-poll (js/module/bridge.js answers it) with a look at the page's UI
# (dialogs, conflict, passkey: page objects in both bridges). arguments: SELECTORS, TEXTS, timeout
# ms, (callback); without the in-page bridge (a document between loads) it answers `missing`
_MODULE_WAIT = """
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[2];
const snap = () => { %s };
const finish = (r) => { r.ui = snap(); done(r); };
if (window.__wagw) { window.__wagw.wait(timeoutMs, finish); }
else { setTimeout(() => finish({ missing: true }), Math.min(timeoutMs, 100)); }
"""
# one operation of the in-page bridge. arguments: name, args, deadline ms, (callback)
_MODULE_RUN = """
const done = arguments[arguments.length - 1];
if (window.__wagw) { window.__wagw.run(arguments[0], arguments[1], arguments[2], done); }
else { done({ missing: true }); }
"""


@cache
def source(name: str) -> str:
    parts = [*_NEEDS.get(name, ()), name]
    return "\n".join((_JS_DIR / part).read_text() for part in parts)


@cache
def _wait_source() -> str:
    # the observer's own `const S` lives in a block so the snapshot's can live in the arrow
    return _WAIT % ("{\n" + source("observer.js") + "\n}", source("snapshot.js"))


# what a script may take beyond its own timeout argument before its answer counts as lost
_ANSWER_SLACK_S = 10.0
# sync scripts, and WebDriver's limit for async ones (wajs.SCRIPT_TIMEOUT_S)
_SCRIPT_TIMEOUT_S = 300.0


def execute(driver: WebDriver, script: str, *args: Any) -> Any:
    """``execute_script`` through the page channel (``page_channel.py``), WebDriver if down."""
    try:
        expression = sync_expression(script, list(args))
        return channel_for(driver).evaluate(
            expression, await_promise=False, timeout_s=_SCRIPT_TIMEOUT_S
        )
    except ChannelDown:
        return driver.execute_script(script, *args)


def execute_async(driver: WebDriver, script: str, *args: Any, answer_within_s: float) -> Any:
    """``execute_async_script`` likewise; ``answer_within_s``: the script's own deadline."""
    timeout_s = min(answer_within_s + _ANSWER_SLACK_S, _SCRIPT_TIMEOUT_S)
    try:
        expression = async_expression(script, list(args))
        return channel_for(driver).evaluate(expression, await_promise=True, timeout_s=timeout_s)
    except ChannelDown:
        driver.set_script_timeout(timeout_s)
        return driver.execute_async_script(script, *args)


def run(driver: WebDriver, name: str, *args: Any) -> Any:
    """A page script answering plain data (JSON)."""
    return execute(driver, source(name), SELECTORS, TEXTS, *args)


def run_for_elements(driver: WebDriver, name: str, *args: Any) -> Any:
    """A page script answering elements to act on: only WebDriver hands those back."""
    return driver.execute_script(source(name), SELECTORS, TEXTS, *args)


def run_async(driver: WebDriver, name: str, *args: Any, answer_within_s: float) -> Any:
    """An async page script (its last argument the callback), answering within its deadline."""
    return execute_async(
        driver, source(name), SELECTORS, TEXTS, *args, answer_within_s=answer_within_s
    )


def wait_and_snapshot(driver: WebDriver, timeout_ms: int) -> Any:
    return execute_async(
        driver, _wait_source(), SELECTORS, TEXTS, timeout_ms, answer_within_s=timeout_ms / 1000
    )


@cache
def _module_wait_source() -> str:
    return _MODULE_WAIT % source("snapshot.js")


def module_wait(driver: WebDriver, timeout_ms: int) -> Any:
    return execute_async(
        driver, _module_wait_source(), SELECTORS, TEXTS, timeout_ms,
        answer_within_s=timeout_ms / 1000,
    )  # fmt: skip


def module_run(driver: WebDriver, name: str, args: list[Any], deadline_ms: int) -> Any:
    return execute_async(
        driver, _MODULE_RUN, name, args, deadline_ms, answer_within_s=deadline_ms / 1000
    )


def module_ready(driver: WebDriver) -> bool:
    return bool(execute(driver, "return Boolean(window.__wagw && window.__wagw.ready())"))
