"""A webhook receiver for tests: an aiohttp server on 127.0.0.1 that checks every request's
signature the way the README tells receivers to, records it, and answers as the test decides
(a status, a delay, or not at all while it is down)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support.procs import free_port


def verify(secret: str, headers: Any, body: bytes, tolerance_s: int = 300) -> bool:
    """The README's check: HMAC-SHA256 of "<timestamp>.<body>", and a recent timestamp."""
    timestamp = headers.get("X-Webhook-Timestamp", "")
    signed = timestamp.encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    given = headers.get("X-Webhook-Signature", "")
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= tolerance_s
    return hmac.compare_digest(expected, given) and fresh


@dataclass
class Received:
    event_id: int
    delivery: int
    attempt: int
    event: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    verified: bool
    at: float
    answered: int = 0  # the status it was answered with (0: never answered)


Plan = Callable[[Received], Awaitable[int]]


async def always_ok(_: Received) -> int:
    return 200


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.port = free_port()
        self.received: list[Received] = []
        self.plan: Plan = always_ok
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Down: connections are refused until ``start`` again (same port)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        got = Received(
            event_id=int(request.headers["X-Webhook-Event-Id"]),
            delivery=int(request.headers["X-Webhook-Delivery"]),
            attempt=int(request.headers["X-Webhook-Attempt"]),
            event=json.loads(body),
            body=body,
            headers=dict(request.headers),
            verified=verify(self.secret, request.headers, body),
            at=time.monotonic(),
        )
        self.received.append(got)
        self._arrived.set()
        got.answered = await self.plan(got)
        self._arrived.set()  # answered: waiters count it now
        return web.Response(status=got.answered, text="ok")

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]

    def accepted_ids(self, session_id: str | None = None) -> list[int]:
        return [
            r.event_id
            for r in self.accepted()
            if session_id is None or r.event["sessionId"] == session_id
        ]

    async def wait_accepted(self, count: int, timeout_s: float = 20.0) -> list[Received]:
        async def until() -> list[Received]:
            while len(self.accepted()) < count:
                self._arrived.clear()
                await self._arrived.wait()
            return self.accepted()

        try:
            return await asyncio.wait_for(until(), timeout_s)
        except TimeoutError:
            got = [(r.event_id, r.answered) for r in self.received[-10:]]
            raise AssertionError(
                f"{len(self.accepted())}/{count} accepted within {timeout_s}s; last: {got}"
            ) from None
