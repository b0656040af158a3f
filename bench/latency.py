"""End-to-end latencies: create -> first QR, inbound -> socket, REST send -> phone."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from bench.stack import BenchStack
from bench.stats import summary
from tests.support.sim import SimClient
from tests.support.sockets import SocketProbe


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    body: dict[str, Any] = await resp.json()
    if resp.status >= 400:
        raise RuntimeError(f"{resp.method} {resp.url} -> {resp.status}: {body}")
    return body


class Latency:
    def __init__(self, stack: BenchStack, http: aiohttp.ClientSession, sim: SimClient) -> None:
        self.stack = stack
        self.http = http
        self.sim = sim
        self.headers = {"Authorization": f"Bearer {stack.token}"}
        self.socket = SocketProbe()

    async def open(self) -> None:
        assert await self.socket.connect(self.stack.gateway_url, self.stack.token)
        await self.socket.wait_for("connection-confirmed")

    async def _post(self, path: str, body: Any = None) -> dict[str, Any]:
        url = f"{self.stack.gateway_url}{path}"
        async with self.http.post(url, json=body, headers=self.headers) as resp:
            return await _json(resp)

    async def _event(self, name: str, pred: Any, timeout_s: float = 30) -> dict[str, Any]:
        async with asyncio.timeout(timeout_s):
            while True:
                for data in self.socket.of(name):
                    if pred(data):
                        return dict(data)
                await asyncio.sleep(0.002)

    async def create_to_first_qr(self, rounds: int) -> tuple[dict[str, Any], str, str]:
        """An idle worker in the pool (with its warm browser started, when it keeps one); each
        round a new session, stopped afterwards."""
        await self.worker_settled()
        samples: list[float] = []
        sid = ref = ""
        for i in range(rounds):
            started = time.perf_counter()
            sid = (await self._post("/api/whatsapp/sessions", {"name": f"bench-{i}"}))["data"][
                "sessionId"
            ]
            qr = await self._event("whatsapp:qr", lambda d, s=sid: d["sessionId"] == s)
            samples.append(time.perf_counter() - started)
            ref = str(qr["qrRaw"])
            if i < rounds - 1:
                await self._post(f"/api/whatsapp/sessions/{sid}/stop")
                await self._event(
                    "whatsapp:state",
                    lambda d, s=sid: d["sessionId"] == s and d["state"] == "stopped",
                )
                await asyncio.sleep(0.5)  # the worker rejoins the pool
                await self.worker_settled()
        return summary(samples), sid, ref

    async def worker_settled(self, timeout_s: float = 30) -> None:
        """Until the worker's warm browser (worker/browser/warm.py) listens, if it keeps one."""
        if self.stack.worker_env.get("APP_WARM_BROWSER") == "false":
            return
        profiles = self.stack.workdir / "profiles"
        async with asyncio.timeout(timeout_s):
            while not any(profiles.glob(".warm-*.ready")):
                await asyncio.sleep(0.05)

    async def inbound_to_socket(
        self, phone: str, contacts: list[str], rounds: int
    ) -> dict[str, Any]:
        samples: list[float] = []
        for i in range(rounds):
            text = f"bench inbound {i} {time.time_ns()}"
            started = time.perf_counter()
            await self.sim.inbound(
                phone, contacts[i % len(contacts)], text, name=f"C{i % len(contacts)}"
            )
            await self._event("whatsapp:message", lambda d, t=text: d["message"]["body"] == t)
            samples.append(time.perf_counter() - started)
        return summary(samples)

    async def send_to_phone(
        self, sid: str, chat_id: str, phone: str, rounds: int
    ) -> dict[str, Any]:
        samples: list[float] = []
        for i in range(rounds):
            text = f"bench reply {i} {time.time_ns()}"
            started = time.perf_counter()
            await self._post(
                f"/api/whatsapp/sessions/{sid}/chats/{chat_id}/send", {"message": text}
            )
            async with asyncio.timeout(30):
                while not any(m["text"] == text for m in await self.sim.sent(phone)):
                    await asyncio.sleep(0.01)
            samples.append(time.perf_counter() - started)
        return summary(samples)
