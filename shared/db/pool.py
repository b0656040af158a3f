"""Postgres connection pools (psycopg 3): opened in a process's lifecycle, failing fast.

A pool made with ``unit_timeout_s`` bounds every unit of work (``async with pool.connection()``):
waiting for a connection, and the statements run on it. Postgres cancels a statement past the
limit itself (``statement_timeout``); a server that does not answer at all (hung, or a network
that swallows packets) gets its connection cut a moment later, so the statement fails with
``OperationalError`` instead of waiting for ever. Either way the caller answers 503 in about the
limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

# the cut comes this long after statement_timeout, so a live server answers first, cleanly
CUT_GRACE_S = 0.15
CONNECT_TIMEOUT_S = 2  # libpq's minimum; new connections are made in the background
# deletions that take many rows with them (a session's messages) may run this long
LONG_UNIT_S = 60.0


def _cut(conn: AsyncConnection[DictRow], limit_s: float) -> None:
    """Shut the connection's socket down: a read waiting on it sees EOF and fails at once."""
    try:
        fd = conn.pgconn.socket
    except Exception:  # already closed: nothing waits on it
        return
    with socket.socket(fileno=os.dup(fd)) as sock:  # a dup: closing it leaves psycopg's fd
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            return
    log.warning("postgres did not answer within %.1fs: connection cut", limit_s)


class DeadlinePool(AsyncConnectionPool[AsyncConnection[DictRow]]):
    """``connection()`` fails within ``unit_timeout_s`` (+ a grace) whatever Postgres does.

    ``connection(timeout=T)`` with T above the default is a long unit of work (deleting a
    session with all its messages): its statements may run T seconds; waiting for a connection
    stays bounded by the default.
    """

    def __init__(self, *args: Any, unit_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit_timeout_s = unit_timeout_s

    @asynccontextmanager
    async def connection(
        self, timeout: float | None = None
    ) -> AsyncIterator[AsyncConnection[DictRow]]:
        limit = self.unit_timeout_s if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit + CUT_GRACE_S  # waiting for the connection counts too
        async with super().connection(timeout=min(limit, self.unit_timeout_s)) as conn:
            watchdog = loop.call_at(deadline, _cut, conn, limit)
            longer = limit > self.unit_timeout_s
            try:
                if longer:
                    await _set_statement_timeout(conn, limit)
                yield conn
            finally:
                if longer:  # back to the pool's default (a broken connection is discarded)
                    with contextlib.suppress(psycopg.Error):
                        await _set_statement_timeout(conn, self.unit_timeout_s)
                watchdog.cancel()


async def _set_statement_timeout(conn: AsyncConnection[DictRow], seconds: float) -> None:
    await conn.execute(
        "SELECT set_config('statement_timeout', %(ms)s, false)", {"ms": str(int(seconds * 1000))}
    )


def make_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    acquire_timeout_s: float = 3.0,
    unit_timeout_s: float | None = None,
) -> AsyncConnectionPool[Any]:
    """A closed pool; open it with ``await pool.open(wait=True, timeout=...)`` or ``open_pool``.

    Without ``unit_timeout_s`` (workers, tools) only waiting for a connection is bounded.
    """
    # autocommit: a read costs one round trip, not BEGIN + query + COMMIT; repository
    # functions that need several statements to be atomic open conn.transaction() themselves
    kwargs: dict[str, Any] = {
        "row_factory": dict_row,
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT_S,
    }
    if unit_timeout_s is None:
        return AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs=kwargs,
            # a request waits this long for a connection, then fails fast (503)
            timeout=acquire_timeout_s,
            name="wagateway",
        )
    kwargs["options"] = f"-c statement_timeout={int(unit_timeout_s * 1000)}"
    return DeadlinePool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs=kwargs,
        timeout=unit_timeout_s,
        name="wagateway",
        unit_timeout_s=unit_timeout_s,
    )


@asynccontextmanager
async def open_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, wait_s: float = 10.0
) -> AsyncIterator[AsyncConnectionPool]:
    pool = make_pool(dsn, min_size=min_size, max_size=max_size)
    await pool.open(wait=True, timeout=wait_s)
    try:
        yield pool
    finally:
        await pool.close()
