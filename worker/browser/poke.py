"""Ending the page's long-poll early when a command waits for the page.

WebDriver runs one command at a time per browser: while the long-poll waits inside the page, a
send would wait for it. The poke reaches the same page over Chromium's own DevTools socket (the
one chromedriver attaches to, on localhost) and wakes the waiting script, so the command runs at
once. Only an optimisation: when it cannot reach the page, commands wait for the poll as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any

import aiohttp
from selenium.webdriver.remote.webdriver import WebDriver

log = logging.getLogger(__name__)

POKE_TIMEOUT_S = 1.0


def debugger_address(driver: WebDriver) -> str | None:
    """``host:port`` of Chromium's DevTools (plain Selenium and undetected-chromedriver)."""
    caps: Any = driver.capabilities.get("goog:chromeOptions") or {}
    address = caps.get("debuggerAddress") if isinstance(caps, dict) else None
    if not address:
        options = getattr(driver, "options", None)
        address = getattr(options, "debugger_address", None)
    return str(address) if address else None


class Poker:
    def __init__(self, address: str | None) -> None:
        self._address = address
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    async def poke(self, expression: str) -> bool:
        """Evaluate ``expression`` in the page; False when the page could not be reached."""
        if self._address is None:
            return False
        async with self._lock:
            try:
                async with asyncio.timeout(POKE_TIMEOUT_S):
                    ws = await self._socket()
                    await ws.send_str(json.dumps(self._call(expression)))
                    await ws.receive()
                return True
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
                log.debug("poke failed: %s", exc)
                await self._drop()
                return False

    def _call(self, expression: str) -> dict[str, Any]:
        params = {"expression": expression, "returnByValue": True}
        return {"id": next(self._ids), "method": "Runtime.evaluate", "params": params}

    async def _socket(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is not None and not self._ws.closed:
            return self._ws
        self._http = self._http or aiohttp.ClientSession()
        async with self._http.get(f"http://{self._address}/json/list") as resp:
            targets = await resp.json(content_type=None)
        page = next((t for t in targets if t.get("type") == "page"), None)  # the only tab
        if page is None:
            raise ValueError("no page target")
        self._ws = await self._http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
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
