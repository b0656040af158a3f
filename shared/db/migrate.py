"""Idempotent migration command: applies ``migrations/*.sql`` in order, each once, under a lock.

Run: ``python -m shared.db.migrate`` (uses APP_DATABASE_URL).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# arbitrary constant so concurrent migrators (two containers starting together) serialize
_LOCK_ID = 0x77A6A7E
log = logging.getLogger(__name__)


def migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


def migrate(dsn: str) -> list[str]:
    """Apply pending migrations; return the versions applied now (empty when up to date)."""
    applied_now: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for path in migration_files():
                version = path.stem
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text().encode())
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                log.info("migration=%s applied", version)
                applied_now.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_ID,))
    return applied_now


def main() -> int:
    from shared.logging import setup_logging
    from shared.settings import Settings

    settings = Settings()
    setup_logging(settings.log_level, process="migrate")
    applied = migrate(settings.database_url)
    log.info("migrations up to date, applied_now=%d", len(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
