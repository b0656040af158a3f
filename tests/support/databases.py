"""Fresh, throwaway Postgres databases, and the Redis DB and prefix tests use (never demo data)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from shared.constants import RedisNames
from shared.db.migrate import migrate

ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# under pytest-xdist each worker process (gw0, gw1, …) gets its own Redis DB and prefix (pub/sub
# ignores the DB number: the prefix keeps their events apart), as two deployments would
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_XDIST_N = int(_XDIST_WORKER[2:]) if _XDIST_WORKER.startswith("gw") else 0


def _redis_url(base: str, n: int) -> str:
    head, _, db = base.rpartition("/")
    return f"{head}/{int(db) - n}" if n and db.isdigit() and int(db) >= n else base


REDIS_URL = _redis_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), _XDIST_N)
# the tests' deployment prefix: a Redis name spelled without RedisNames is one no test finds
REDIS_PREFIX = f"test{_XDIST_N}" if _XDIST_N else "test"
NAMES = RedisNames(REDIS_PREFIX)

TABLES = (
    "wa_fence_refusals",
    "wa_message_media",
    "wa_media_blobs",
    "webhook_attempts",
    "webhook_deliveries",
    "webhooks",
    "api_keys",
    "event_log",
    "event_counters",
    "audit_log",
    "wa_profile_snapshots",
    "wa_messages",
    "wa_chats",
    "wa_manager_access",
    "wa_sessions",
    "users",
    "companies",
)


def _url_for(name: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def fresh_database(*, migrated: bool = True) -> Iterator[str]:
    name = f"wagw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _url_for(name)
    try:
        if migrated:
            migrate(url)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def truncate_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY CASCADE")
