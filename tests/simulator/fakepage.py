"""A browser-less page speaking the ``/ws/chat`` protocol: control-API tests need no Chromium."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from simulator import ids

PHONE = "15550001111"
Client = TestClient[Any, Any]


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


async def linked_page(client: Client, phone: str = PHONE) -> tuple[FakePage, dict[str, Any]]:
    """A page linked to ``phone`` (scanned by its ``2@…`` field): the page and its linked frame."""
    page = await FakePage.connect(client)
    ref = (await page.until("qr"))["ref"]
    first_field = ref.removeprefix(ids.QR_PREFIX).split(",")[0]
    resp = await client.post("/_sim/link", json={"ref": first_field, "phone": f"+{phone}"})
    assert resp.status == 200
    linked = await page.until("linked")
    ready = await page.until("ready")
    lid = ids.lid_of(phone)
    assert ready["me"] == {"phone": phone, "name": f"+{phone}", "wid": linked["wid"], "lid": lid}
    return page, linked
