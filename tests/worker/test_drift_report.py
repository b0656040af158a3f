"""Drift is counted in Redis at once, logged once per kind, written to the session in batches."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import sessions
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from worker.browser.drift import Drift, DriftKind
from worker.drift_report import DriftReporter


async def test_counted_logged_once_and_written_batched(
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    caplog: pytest.LogCaptureFixture,
) -> None:
    company = await make_company()
    async with pg.connection() as conn:
        session = await sessions.create(conn, company_id=company.id, name="main")
    names = NAMES
    report = DriftReporter(pg, redis, names=names, session_id=session.id)
    secret = "a customer's long private message that must never be logged whole"
    with caplog.at_level(logging.WARNING, logger="worker.drift_report"):
        await report.report([Drift.of(DriftKind.ROW_UNPARSED, secret, key="r1")])
        await report.report(
            [
                Drift.of(DriftKind.ROW_UNPARSED, "another row", key="r2"),
                Drift.of(DriftKind.ROW_UNPARSED, "the first row again", key="r1"),
                Drift.of(DriftKind.TIME_UNPARSED, "[sometime] Ann: ", key="m1"),
            ]
        )
    pending: Any = redis.hgetall(names.drift_counts)  # redis-py types this loosely
    counts = await pending
    assert counts == {b"row_unparsed": b"2", b"time_unparsed": b"1"}
    lines = [r.getMessage() for r in caplog.records]
    assert sum("page_drift=row_unparsed" in line for line in lines) == 1
    assert sum("page_drift=time_unparsed" in line for line in lines) == 1
    assert secret not in "\n".join(lines) and secret[:39] in "\n".join(lines)

    async with pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=session.id)
    assert row is not None and row.page_drift == {}  # batched: not written per report
    await report.flush(force=True)
    async with pg.connection() as conn:
        row = await sessions.worker_get(conn, session_id=session.id)
    assert row is not None
    assert {k: v["count"] for k, v in row.page_drift.items()} == {
        "row_unparsed": 2,
        "time_unparsed": 1,
    }
    assert all(v["lastAt"] for v in row.page_drift.values())
