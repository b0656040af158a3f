"""Where sealed snapshots live: one interface, Postgres by default (an S3-compatible store can
implement the same three calls and keep only a reference in the row)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import snapshots
from shared.db.repos.snapshots import SnapshotMeta


class SnapshotStore(Protocol):
    async def save(
        self,
        *,
        session_id: UUID,
        sealed: bytes,
        size_bytes: int,
        sha256: str,
        key_id: str,
        worker_id: str,
        keep: int,
    ) -> SnapshotMeta:
        """Store a new generation and prune the session's snapshots to ``keep``."""
        ...

    async def candidates(self, *, session_id: UUID, limit: int) -> list[SnapshotMeta]:
        """Good snapshots, newest first."""
        ...

    async def load(self, meta: SnapshotMeta) -> bytes | None:
        """The sealed bytes, or None when they are gone."""
        ...

    async def refuse(self, meta: SnapshotMeta, reason: str) -> bool:
        """Never offer it again; False when another worker refused it first."""
        ...


class PostgresSnapshotStore:
    """Metadata and sealed bytes in ``wa_profile_snapshots``."""

    name = "postgres"

    def __init__(self, pg: AsyncConnectionPool) -> None:
        self._pg = pg

    async def save(
        self,
        *,
        session_id: UUID,
        sealed: bytes,
        size_bytes: int,
        sha256: str,
        key_id: str,
        worker_id: str,
        keep: int,
    ) -> SnapshotMeta:
        async with self._pg.connection() as conn, conn.transaction():
            meta = await snapshots.insert(
                conn,
                session_id=session_id,
                size_bytes=size_bytes,
                sha256=sha256,
                key_id=key_id,
                worker_id=worker_id,
                data=sealed,
                stored_bytes=len(sealed),
                store=self.name,
            )
            await snapshots.prune(conn, session_id=session_id, keep=keep)
        return meta

    async def candidates(self, *, session_id: UUID, limit: int) -> list[SnapshotMeta]:
        async with self._pg.connection() as conn:
            return await snapshots.good(conn, session_id=session_id, limit=limit)

    async def load(self, meta: SnapshotMeta) -> bytes | None:
        async with self._pg.connection() as conn:
            return await snapshots.data(conn, snapshot_id=meta.id)

    async def refuse(self, meta: SnapshotMeta, reason: str) -> bool:
        async with self._pg.connection() as conn:
            return await snapshots.refuse(conn, snapshot_id=meta.id, reason=reason)
