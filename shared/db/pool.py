"""Postgres connection pool helper (psycopg 3): opened in a process's lifecycle, fails fast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


def make_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, acquire_timeout_s: float = 3.0
) -> AsyncConnectionPool:
    """A closed pool; open it with ``await pool.open(wait=True, timeout=...)`` or ``open_pool``."""
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        # autocommit: a read costs one round trip, not BEGIN + query + COMMIT; repository
        # functions that need several statements to be atomic open conn.transaction() themselves
        kwargs={"row_factory": dict_row, "autocommit": True},
        # a request waits this long for a connection, then fails fast (503) instead of hanging
        timeout=acquire_timeout_s,
        name="wagateway",
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
