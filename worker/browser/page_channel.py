"""The page's own scripts over Chromium's DevTools socket, instead of WebDriver's execute_script.

chromedriver keeps what every script it ran returned alive inside the page: measured on this
Chromium, 3,000 calls answering a 20-item object grow the page's JS heap by 3.7 MB that no
collection frees, and a worker long-polls its page many times a minute for weeks (the soak's
renderer growth). ``Runtime.evaluate`` with ``returnByValue`` keeps nothing (0.07 MB for the same
3,000 calls). So the worker's scripts go to the page's DevTools target (the WebDriver window,
whose handle is its target id), called from the browser thread, one at a time, as before.

It is only a channel: the scripts, their arguments and their answers are WebDriver's. When the
socket cannot be opened (no DevTools address, the target gone, a refused connection) a call goes
through WebDriver as before, said once per browser in the log and tried again a while later.
A reply lost after the script was sent is an error, never a second run (a send must not repeat).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import threading
import time
import weakref
from typing import Any

import websocket
from selenium.common.exceptions import JavascriptException, TimeoutException, WebDriverException
from selenium.webdriver.remote.webdriver import WebDriver

from worker.browser.devtools import debugger_address

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
RETRY_AFTER_S = 30.0  # after a failed connect, WebDriver carries the scripts this long

# the words of chromedriver's error for a document that went away mid-script, kept for callers
_UNLOADED = "document unloaded while waiting for result"


class ChannelDown(Exception):
    """The socket could not carry the call; nothing reached the page."""


class PageChannel:
    """One DevTools connection to the page target; ``evaluate`` is blocking (browser thread)."""

    def __init__(self, address: str | None, target_id: str | None) -> None:
        self._address = address
        self._target_id = target_id
        self._ws: websocket.WebSocket | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._said_down = False

    def evaluate(self, expression: str, *, await_promise: bool, timeout_s: float) -> Any:
        """The JSON value of ``expression``; raises ``ChannelDown`` (not sent: run it another
        way), ``JavascriptException`` (it threw, or the document went away) or
        ``TimeoutException``/``WebDriverException`` (sent, the answer lost)."""
        with self._lock:
            ws = self._connected()
            call_id = next(self._ids)
            params = {
                "expression": expression,
                "returnByValue": True,
                "awaitPromise": await_promise,
                "silent": True,
            }
            try:
                ws.send(json.dumps({"id": call_id, "method": "Runtime.evaluate", "params": params}))
            except (OSError, websocket.WebSocketException) as exc:
                self._drop()
                raise ChannelDown(f"send: {type(exc).__name__}: {exc}") from exc
            return _answer(self._reply(ws, call_id, timeout_s))

    @property
    def connected(self) -> bool:
        """Is the socket open (the last call went through it)?"""
        return self._ws is not None and self._ws.connected

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connected(self) -> websocket.WebSocket:
        if self._ws is not None and self._ws.connected:
            return self._ws
        if time.monotonic() < self._down_until:
            raise ChannelDown("not reachable a moment ago")
        try:
            self._ws = websocket.create_connection(
                self._url(),
                timeout=CONNECT_TIMEOUT_S,
                suppress_origin=True,
                enable_multithread=False,
            )
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            self._down_until = time.monotonic() + RETRY_AFTER_S
            if not self._said_down:
                self._said_down = True
                log.warning(
                    "page scripts go through WebDriver (DevTools socket: %s); retried every %gs",
                    exc,
                    RETRY_AFTER_S,
                )
            raise ChannelDown(str(exc)) from exc
        if self._said_down:
            log.info("page scripts go through the DevTools socket again")
            self._said_down = False
        return self._ws

    def _url(self) -> str:
        if not self._address or not self._target_id:
            raise ValueError("no DevTools address or page target")
        return f"ws://{self._address}/devtools/page/{self._target_id}"

    def _reply(self, ws: websocket.WebSocket, call_id: int, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                ws.settimeout(max(0.01, deadline - time.monotonic()))
                reply = json.loads(ws.recv())
                if reply.get("id") == call_id:
                    return dict(reply)
        except websocket.WebSocketTimeoutException as exc:
            self._drop()  # the late answer must not meet the next call
            raise TimeoutException(f"script did not answer within {timeout_s:g}s") from exc
        except (OSError, ValueError, websocket.WebSocketException) as exc:
            self._drop()
            raise WebDriverException(f"DevTools socket lost the answer: {exc}") from exc

    def _drop(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                self._ws.close(timeout=0.5)
        self._ws = None


def _answer(reply: dict[str, Any]) -> Any:
    if "error" in reply:  # the protocol's: mostly the document (its context) went away
        message = str((reply["error"] or {}).get("message") or reply["error"])
        raise JavascriptException(f"{_UNLOADED}: {message}"[:500])
    result = reply.get("result") or {}
    details = result.get("exceptionDetails")
    if details:
        thrown = details.get("exception") or {}
        text = thrown.get("description") or details.get("text") or "script error"
        raise JavascriptException(str(text).splitlines()[0][:500])
    return (result.get("result") or {}).get("value")


_channels: weakref.WeakKeyDictionary[WebDriver, PageChannel] = weakref.WeakKeyDictionary()
_registry = threading.Lock()


def channel_for(driver: WebDriver) -> PageChannel:
    """The driver's channel to its window (made on first use)."""
    with _registry:
        channel = _channels.get(driver)
    if channel is None:
        try:
            target: str | None = driver.current_window_handle
        except WebDriverException:
            target = None
        channel = PageChannel(debugger_address(driver), target)
        with _registry:
            channel = _channels.setdefault(driver, channel)
    return channel


def close_channel(driver: WebDriver) -> None:
    with _registry:
        channel = _channels.pop(driver, None)
    if channel is not None:
        channel.close()


def sync_expression(source: str, args: list[Any]) -> str:
    """``source`` as execute_script runs it: a function body given ``arguments``."""
    return f"(function(){{\n{source}\n}}).apply(window, {json.dumps(args)})"


def async_expression(source: str, args: list[Any]) -> str:
    """As execute_async_script: the last argument is the callback that answers."""
    return (
        "new Promise((resolve, reject) => { try { (function(){\n"
        f"{source}\n}}).apply(window, [...{json.dumps(args)}, resolve]); }} "
        "catch (e) { reject(e); } })"
    )
