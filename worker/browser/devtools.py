"""Chromium's own DevTools socket (the one chromedriver attaches to, on localhost), beside
WebDriver: evaluate JavaScript in one target (the page, or an extension's service worker) while
WebDriver is busy with something else. One connection per target, reopened when it drops."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
from selenium.webdriver.remote.webdriver import WebDriver

log = logging.getLogger(__name__)

Match = Callable[[dict[str, Any]], bool]


class DevToolsError(Exception):
    """The target could not be reached, or the expression threw."""


def debugger_address(driver: WebDriver) -> str | None:
    """``host:port`` of Chromium's DevTools (plain Selenium and undetected-chromedriver)."""
    caps: Any = driver.capabilities.get("goog:chromeOptions") or {}
    address = caps.get("debuggerAddress") if isinstance(caps, dict) else None
    if not address:
        options = getattr(driver, "options", None)
        address = getattr(options, "debugger_address", None)
    return str(address) if address else None


def is_page(target: dict[str, Any]) -> bool:
    return target.get("type") == "page"


class DevToolsTarget:
    def __init__(self, address: str | None, match: Match, timeout_s: float = 1.0) -> None:
        self._address = address
        self._match = match
        self._timeout_s = timeout_s
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def present(self) -> bool:
        """Is a matching target listed now (e.g. a running service worker)?"""
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._target() is not None
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            log.debug("devtools listing failed: %s", exc)
            return False

    async def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """The value of ``expression`` in the target (JSON); raises ``DevToolsError``."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": await_promise}
        result = await self.call("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise DevToolsError(str(result["exceptionDetails"].get("text"))[:300])
        return (result.get("result") or {}).get("value")

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """One DevTools protocol command's result; raises ``DevToolsError``."""
        if self._address is None:
            raise DevToolsError("no DevTools address")
        async with self._lock:
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await self._call(method, params or {})
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                await self._drop()
                raise DevToolsError(f"{type(exc).__name__}: {exc}") from exc

    async def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        ws = await self._socket()
        call_id = next(self._ids)
        await ws.send_str(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise ValueError(f"DevTools socket closed ({msg.type.name})")
            reply = json.loads(msg.data)
            if reply.get("id") == call_id:
                break
        if "error" in reply:
            raise DevToolsError(str(reply["error"])[:300])
        result: dict[str, Any] = reply.get("result") or {}
        return result

    async def _target(self) -> dict[str, Any] | None:
        self._http = self._http or aiohttp.ClientSession()
        async with self._http.get(f"http://{self._address}/json/list") as resp:
            targets = await resp.json(content_type=None)
        return next((t for t in targets if self._match(t)), None)

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is not None and not self._ws.closed:
            return self._ws
        target = await self._target()
        if target is None:
            raise ValueError("no such target")
        assert self._http is not None
        self._ws = await self._http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        return self._ws

    async def _drop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        self._ws = None

    async def close(self) -> None:
        await self._drop()
        if self._http is not None:
            await self._http.close()
            self._http = None
