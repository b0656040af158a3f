"""One sender delivers at a time: it holds a Postgres advisory lock on a connection of its own.
If that sender dies (or loses its connection), the lock goes with the connection and a standby
takes over; the deliveries it had not recorded are delivered again (same event ids)."""

from __future__ import annotations

import contextlib
import logging

import psycopg

log = logging.getLogger(__name__)

LOCK_ID = 0x77A6B00C  # arbitrary, distinct from the migrator's


class Leadership:
    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def try_take(self) -> bool:
        try:
            conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
        except psycopg.Error as exc:
            log.warning("webhook sender: database unreachable (%s)", exc)
            return False
        cur = await conn.execute("SELECT pg_try_advisory_lock(%(id)s)", {"id": LOCK_ID})
        row = await cur.fetchone()
        if not (row and row[0]):
            await conn.close()
            return False
        self._conn = conn
        log.info("webhook sender: delivering (this process holds the lock)")
        return True

    async def still_held(self) -> bool:
        """The lock's connection answers; False (and the lock is let go) when it does not."""
        if self._conn is None:
            return False
        try:
            await self._conn.execute("SELECT 1")
        except psycopg.Error as exc:
            log.warning("webhook sender: lost the lock's connection (%s); standing by", exc)
            await self.release()
            return False
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()  # the lock goes with the session
