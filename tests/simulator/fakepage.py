"""A browser-less page speaking the ``/ws/chat`` protocol: control-API tests need no Chromium."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient


class FakePage:
    def __init__(self, ws: ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    @classmethod
    async def connect(
        cls, client: TestClient[Any, Any], device_id: str | None = None, tab: str = "tab-1"
    ) -> FakePage:
        page = cls(await client.ws_connect("/ws/chat"))
        await page.send(type="hello", deviceId=device_id, tabId=tab, resume=False)
        return page

    async def send(self, **frame: Any) -> None:
        await self.ws.send_json(frame)

    async def until(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of type ``kind`` (earlier frames are kept in ``frames``)."""
        while True:
            frame: dict[str, Any] = await self.ws.receive_json(timeout=timeout)
            self.frames.append(frame)
            if frame["type"] == kind:
                return frame

    async def close(self) -> None:
        await self.ws.close()
