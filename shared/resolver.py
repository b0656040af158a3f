"""Name resolution that refuses non-public addresses (SSRF, DNS rebinding included): the address
checked is the one connected to. Webhook deliveries and the gateway's media downloads use it."""

from __future__ import annotations

import socket
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from shared.urlpolicy import is_public


class RefusedAddress(OSError):
    """The target resolves only to addresses we may not call (shared/urlpolicy.py)."""


class PublicResolver(AbstractResolver):
    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        public = [r for r in found if is_public(r["host"])]
        if not public:
            addresses = ", ".join(sorted({r["host"] for r in found}))
            raise RefusedAddress(f"{host} resolves to non-public addresses ({addresses})")
        return public

    async def close(self) -> None:
        await self._inner.close()


def refused_in(exc: BaseException) -> RefusedAddress | None:
    """The RefusedAddress behind an aiohttp connection error, if that is what it was."""
    seen: Any = exc
    for _ in range(10):  # a short chain: aiohttp's error, its cause
        if seen is None or isinstance(seen, RefusedAddress):
            return seen
        seen = seen.__cause__ or getattr(seen, "os_error", None)
    return None
