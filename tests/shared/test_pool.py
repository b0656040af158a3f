"""The deadline pool: every unit of work is bounded (statement_timeout, then a cut connection);
a long unit may run longer and leaves the connection with the default limit again."""

from __future__ import annotations

import time

import psycopg
import pytest

from shared.db.pool import make_pool
from shared.settings import Settings
from tests.support.tcp_proxy import TcpProxy, target_of, via

UNIT_S = 0.5


async def test_a_slow_statement_fails_at_the_limit(settings: Settings) -> None:
    pool = make_pool(settings.database_url, min_size=1, max_size=1, unit_timeout_s=UNIT_S)
    await pool.open(wait=True, timeout=10)
    try:
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            async with pool.connection() as conn:
                await conn.execute("SELECT pg_sleep(2)")
        assert time.monotonic() - started < UNIT_S + 0.5
        # a long unit: longer statements pass, then the connection is back to the default
        async with pool.connection(timeout=3) as conn:
            await conn.execute("SELECT pg_sleep(0.8)")
        async with pool.connection() as conn:
            row = await (await conn.execute("SHOW statement_timeout")).fetchone()
        assert row == {"statement_timeout": "500ms"}
    finally:
        await pool.close()


async def test_a_server_that_stops_answering_costs_one_limit(settings: Settings) -> None:
    proxy = TcpProxy(*target_of(settings.database_url, 5432))
    await proxy.start()
    url = via(settings.database_url, proxy.port)
    pool = make_pool(url, min_size=1, max_size=1, unit_timeout_s=UNIT_S)
    await pool.open(wait=True, timeout=10)
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        proxy.blackhole()  # the open connection's next query is never answered
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            async with pool.connection() as conn:
                await conn.execute("SELECT 1")
        assert time.monotonic() - started < UNIT_S + 0.5
    finally:
        await pool.close(timeout=1)
        await proxy.close()
