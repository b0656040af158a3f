"""One open ``/ws/chat`` page connection, and the registry the engine pushes through."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator.models import Profile

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Conn:
    """A browser tab. Only the ``active`` tab of a device gets pushes; others show the conflict."""

    ws: web.WebSocketResponse
    tab_id: str = ""
    device_id: str | None = None
    active: bool = False
    open_chat: str | None = None
    profile: Profile = "2026"  # the page profile this tab was served (fixed for its life)
    bridge: bool = False  # the tab runs the WPP stand-in: its frames also carry wa-js shapes
    task: asyncio.Task[None] | None = None  # the running screen sequence (splash, QR codes, sync)

    async def send(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        with suppress(ConnectionError, RuntimeError):
            await self.ws.send_json(payload)

    def run(self, coro: Coroutine[Any, Any, None]) -> None:
        """Replace the running screen sequence by ``coro``."""
        self.stop()
        self.task = asyncio.create_task(coro)
        self.task.add_done_callback(_log_failure)

    def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.task = None


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("page sequence failed", exc_info=task.exception())


class Conns:
    """Every open page connection, looked up by device."""

    def __init__(self) -> None:
        self._all: set[Conn] = set()

    def add(self, conn: Conn) -> None:
        self._all.add(conn)

    def remove(self, conn: Conn) -> None:
        self._all.discard(conn)
        conn.stop()

    def all(self) -> list[Conn]:
        return list(self._all)

    def of(self, device_id: str) -> list[Conn]:
        return [c for c in self._all if c.device_id == device_id]

    def active(self, device_id: str) -> Conn | None:
        return next((c for c in self._all if c.device_id == device_id and c.active), None)

    async def close_all(self) -> None:
        conns, self._all = list(self._all), set()
        for conn in conns:
            conn.stop()
            with suppress(ConnectionError, RuntimeError):
                await conn.ws.close()
