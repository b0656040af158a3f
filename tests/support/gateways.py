"""Gateways for tests: waiting for an in-process app's relay, and gateway subprocesses."""

from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.keys import USER_CACHE


async def wait_until_listening(app: web.Application, timeout_s: float = 5.0) -> None:
    """Until the app's relay has subscribed to its channels (events and notices reach it)."""
    async with asyncio.timeout(timeout_s):
        while not app[USER_CACHE].trusted:  # noqa: ASYNC110 (a flag the relay task sets)
            await asyncio.sleep(0.01)
