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
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# the tests' deployment prefix: a Redis name spelled without RedisNames is one no test finds
REDIS_PREFIX = "test"
NAMES = RedisNames(REDIS_PREFIX)

TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhooks",
    "api_keys",
    "event_log",
    "event_counters",
    "audit_log",
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
