"""An in-process simulator on a free port (own thread and loop) and a tiny JSON control client."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulator.app import create_app
from simulator.config import SimConfig

PHONE = "15550001111"


class SimServer:
    def __init__(self, config: SimConfig | None = None) -> None:
        self._config = config
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> None:
        self._runner = web.AppRunner(create_app(self._config), shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class SimControl:
    """Calls ``/_sim/`` synchronously (tests drive Selenium, which is synchronous too)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    @staticmethod
    def eventually(check: Callable[[], bool], timeout: float = 5) -> None:
        """Poll ``check`` until it holds (for server-side effects of a browser going away)."""
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.02)

    def get(self, path: str) -> Any:
        status, data = self.request("GET", path)
        assert status == 200, (path, status, data)
        return data

    def post(self, path: str, body: Any = None) -> Any:
        status, data = self.request("POST", path, body if body is not None else {})
        assert status == 200, (path, status, data)
        return data

    def link(self, ref: str, phone: str = PHONE, name: str = "Acme Support") -> Any:
        return self.post("/_sim/link", {"ref": ref, "phone": phone, "displayName": name})

    def inbound(self, text: str, sender: str = "4915112345678", name: str | None = None,
                phone: str = PHONE, **extra: Any) -> Any:  # fmt: skip
        body: dict[str, Any] = {"from": sender, "text": text, **extra}
        if name:
            body["name"] = name
        return self.post(f"/_sim/accounts/{phone}/inbound", body)

    def sent(self, phone: str = PHONE) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(f"/_sim/accounts/{phone}/sent")
        return result

    def messages(self, chat_id: str, phone: str = PHONE) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.get(f"/_sim/accounts/{phone}/chats/{chat_id}/messages")
        return result
