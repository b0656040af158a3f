"""Migrations: apply on an empty database, then again as a no-op."""

from __future__ import annotations

import psycopg

from shared.db.migrate import migrate, migration_files
from tests.support.databases import fresh_database

EXPECTED_TABLES = {
    "companies",
    "users",
    "wa_sessions",
    "wa_manager_access",
    "wa_chats",
    "wa_messages",
    "audit_log",
    "schema_migrations",
}


def test_migrations_apply_twice_cleanly() -> None:
    with fresh_database(migrated=False) as url:
        first = migrate(url)
        second = migrate(url)
        with psycopg.connect(url) as conn:
            tables = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema='public'"
                )
            }
            versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert first == [p.stem for p in migration_files()]
    assert second == []
    assert tables >= EXPECTED_TABLES
    assert sorted(versions) == first
