"""The live sockets of this gateway: whose they are (user or API key, and company), until when
their token is valid, and closing them with a reason.

Before a socket is closed it gets ``connection-closed {reason, reconnect}``:
- ``token_expired``, ``user_gone`` (disabled or deleted): the namespace is disconnected (a
  Socket.IO client does not reconnect by itself after that; it needs a new token);
- ``server_shutdown``: the transport is closed, which Socket.IO clients answer by reconnecting, to
  another gateway since this one no longer listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from enum import StrEnum
from uuid import UUID

import socketio

from gateway.realtime.payloads import CLOSED_EVENT

log = logging.getLogger(__name__)

Socket = tuple[str, str]  # (namespace, sid)


class CloseReason(StrEnum):
    TOKEN_EXPIRED = "token_expired"
    USER_GONE = "user_gone"
    SERVER_SHUTDOWN = "server_shutdown"


class LiveSockets:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        self._by_user: dict[UUID, set[Socket]] = {}
        self._company: dict[Socket, UUID] = {}
        self._expiry: dict[Socket, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._none_left = asyncio.Event()

    @property
    def count(self) -> int:
        return sum(len(v) for v in self._by_user.values())

    def of_user(self, user_id: UUID) -> list[Socket]:
        return list(self._by_user.get(user_id, ()))

    def add(
        self, socket: Socket, user_id: UUID, token_expires_at: datetime | None, *, company_id: UUID
    ) -> None:
        """Track a socket; it is closed when its token expires (an API key's: never)."""
        self._by_user.setdefault(user_id, set()).add(socket)
        self._company[socket] = company_id
        if token_expires_at is not None:
            delay = max(token_expires_at.timestamp() - time.time(), 0.0)
            loop = asyncio.get_running_loop()
            self._expiry[socket] = loop.call_later(delay, self._expire, socket)

    def remove(self, socket: Socket) -> UUID | None:
        """Forget a socket; returns its company (None: it was not tracked)."""
        company_id = self._company.pop(socket, None)
        timer = self._expiry.pop(socket, None)
        if timer is not None:
            timer.cancel()
        for user_id, socks in list(self._by_user.items()):
            socks.discard(socket)
            if not socks:
                del self._by_user[user_id]
        if not self._by_user:
            self._none_left.set()
        return company_id

    def _expire(self, socket: Socket) -> None:
        task = asyncio.create_task(self.close(socket, CloseReason.TOKEN_EXPIRED))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self, socket: Socket, reason: CloseReason) -> None:
        """Tell the client why, then disconnect its namespace."""
        ns, sid = socket
        notice = {"reason": reason, "reconnect": False}
        await self._sio.emit(CLOSED_EVENT, notice, to=sid, namespace=ns)
        await self._sio.disconnect(sid, namespace=ns)
        log.info("socket=%s ns=%s closed reason=%s", sid, ns, reason)

    async def close_user(self, user_id: UUID, reason: CloseReason) -> int:
        socks = self.of_user(user_id)
        for socket in socks:
            await self.close(socket, reason)
        return len(socks)

    async def shut_down(self, namespaces: tuple[str, ...], wait_s: float = 1.0) -> int:
        """SIGTERM: every client hears why, then its transport is closed so it reconnects
        elsewhere; waits (bounded) until they are gone."""
        count = self.count
        for ns in namespaces:
            payload = {"reason": CloseReason.SERVER_SHUTDOWN, "reconnect": True}
            await self._sio.emit(CLOSED_EVENT, payload, namespace=ns)
        self._none_left.clear()
        for sock in list(self._sio.eio.sockets.values()):
            # the Engine.IO writer's own "stop" mark: it sends what is queued (the notice above),
            # then closes the websocket; a client sees its transport close and reconnects
            sock.queue.put_nowait(None)
        if self.count:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._none_left.wait()
        for timer in self._expiry.values():
            timer.cancel()
        log.info("shutdown: sockets=%d told and closed, left=%d", count, self.count)
        return count
