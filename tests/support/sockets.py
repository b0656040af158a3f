"""A Socket.IO test client that records what it receives (websocket transport only)."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio


class SocketProbe:
    def __init__(self, namespace: str = "/whatsapp", *, reconnect: bool = False) -> None:
        self.namespace = namespace
        # reconnect: as browsers do after a lost transport (0.2-0.4 s later, to keep tests quick)
        self.client = socketio.AsyncClient(
            reconnection=reconnect, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.received: list[tuple[str, Any]] = []
        self.refused: Any = None
        self._arrived = asyncio.Event()

        @self.client.on("*", namespace=namespace)  # type: ignore[untyped-decorator]
        async def _any(event: str, data: Any = None) -> None:
            self.received.append((event, data))
            self._arrived.set()

        @self.client.on("connect_error", namespace=namespace)  # type: ignore[untyped-decorator]
        async def _refused(data: Any) -> None:
            self.refused = data

    async def connect(self, url: str, token: str | None, **auth: Any) -> bool:
        """``auth`` adds handshake fields (``lastEventId``, ``apiKey``)."""
        fields = {"token": token, **auth} if token else auth
        try:
            await self.client.connect(
                url,
                namespaces=[self.namespace],
                transports=["websocket"],
                auth=fields or None,
                socketio_path="socket.io",
                wait_timeout=5,
            )
        except socketio.exceptions.ConnectionError:
            return False
        return True

    async def disconnect(self) -> None:
        await self.client.disconnect()

    def names(self) -> list[str]:
        return [name for name, _ in self.received]

    def of(self, name: str) -> list[Any]:
        return [data for n, data in self.received if n == name]

    async def wait_for(self, name: str, count: int = 1, timeout_s: float = 5.0) -> list[Any]:
        async def until() -> list[Any]:
            while len(self.of(name)) < count:
                self._arrived.clear()
                await self._arrived.wait()
            return self.of(name)

        try:
            return await asyncio.wait_for(until(), timeout_s)
        except TimeoutError:
            raise AssertionError(
                f"no {name!r} x{count} within {timeout_s}s; got {self.names()}"
            ) from None

    async def quiet(self, seconds: float = 0.3) -> None:
        """Let in-flight events arrive (used before asserting that something did NOT arrive)."""
        await asyncio.sleep(seconds)
