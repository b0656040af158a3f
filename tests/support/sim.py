"""A client for the simulator's phone control API (``/_sim/``), for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import aiohttp


class SimClient:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        await self._http.close()

    async def _req(self, method: str, path: str, body: Any = None) -> Any:
        async with self._http.request(method, f"{self.base}/_sim{path}", json=body) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise AssertionError(f"{method} {path} -> {resp.status}: {data}")
            return data

    async def config(self, **values: Any) -> dict[str, Any]:
        result: dict[str, Any] = await self._req("POST", "/config", values)
        return result

    async def reset(self) -> None:
        await self._req("POST", "/reset")

    async def devices(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", "/devices")
        return result

    async def link(self, ref: str, phone: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._req(
            "POST", "/link", {"ref": ref, "phone": phone, "displayName": name}
        )
        return result

    async def unlink(self, phone: str) -> None:
        await self._req("POST", f"/accounts/{phone}/unlink")

    async def inbound(self, phone: str, sender: str, text: str, name: str | None = None) -> str:
        body: dict[str, Any] = {"from": sender, "text": text}
        if name:
            body["name"] = name
        result = await self._req("POST", f"/accounts/{phone}/inbound", body)
        return str(result["messageId"])

    async def sent(self, phone: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", f"/accounts/{phone}/sent")
        return result

    async def ack(self, phone: str, message_id: str, ack: str) -> None:
        await self._req("POST", f"/accounts/{phone}/ack", {"messageId": message_id, "ack": ack})

    async def conflict(self, phone: str) -> None:
        await self._req("POST", f"/accounts/{phone}/conflict")

    async def network(self, phone: str, online: bool) -> None:
        await self._req("POST", f"/accounts/{phone}/network", {"online": online})

    async def chats(self, phone: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._req("GET", f"/accounts/{phone}/chats")
        return result

    async def seed_chats(self, phone: str, count: int) -> None:
        await self._req("POST", f"/accounts/{phone}/seed-chats", {"count": count})
