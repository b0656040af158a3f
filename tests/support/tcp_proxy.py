"""A loopback TCP proxy that a test can cut and restore, to make a dependency unreachable, or
turn into a blackhole: connections are accepted and kept, nothing is ever answered (a hung
server, or a network that swallows packets)."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


def via(url: str, port: int) -> str:
    """``url`` (a Postgres or Redis URL) pointed at 127.0.0.1:``port`` instead."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def target_of(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._open = False
        self._swallow = False
        self._held: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._open = True
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        self._open = False
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for w in list(self._writers):
            w.close()
        for t in list(self._pipes):
            t.cancel()

    async def restore(self) -> None:
        await self.start()

    def blackhole(self, on: bool = True) -> None:
        """From now on, data in either direction is dropped and new connections are accepted
        and held without an answer; ``blackhole(False)`` forwards again (held ones stay dead)."""
        self._swallow = on

    async def close(self) -> None:
        await self.cut()
        for w in list(self._held):
            w.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._swallow:
            self._held.add(writer)  # accepted, never answered
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        if not self._open:  # cut while this connection was being accepted
            writer.close()
            up_writer.close()
            return
        self._writers.update({writer, up_writer})
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await src.read(65536):
                if self._swallow:
                    continue
                dst.write(data)
                await dst.drain()
        dst.close()
        self._writers.discard(dst)
