"""Where sealed snapshots live: one interface, Postgres by default, or S3-compatible storage
(APP_SNAPSHOT_STORE=s3: the bytes in the bucket, the row keeps the metadata and the key)."""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol
from uuid import UUID

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import snapshots
from shared.db.repos.snapshots import SnapshotMeta
from shared.media.s3 import s3_config
from shared.s3 import ObjectMissing, S3Bucket
from shared.settings import Settings


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

    async def close(self) -> None:
        """Release what the store holds open (its S3 client)."""
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
        meta, _ = await self._record(
            session_id=session_id,
            sealed=sealed,
            size_bytes=size_bytes,
            sha256=sha256,
            key_id=key_id,
            worker_id=worker_id,
            keep=keep,
            location=None,
        )
        return meta

    async def _record(
        self,
        *,
        session_id: UUID,
        sealed: bytes,
        size_bytes: int,
        sha256: str,
        key_id: str,
        worker_id: str,
        keep: int,
        location: str | None,
    ) -> tuple[SnapshotMeta, list[SnapshotMeta]]:
        """The row of a new generation (the sealed bytes in it, or where they are), then the
        session pruned to ``keep``: (the row, the rows pruned)."""
        async with self._pg.connection() as conn, conn.transaction():
            meta = await snapshots.insert(
                conn,
                session_id=session_id,
                size_bytes=size_bytes,
                sha256=sha256,
                key_id=key_id,
                worker_id=worker_id,
                data=None if location else sealed,
                stored_bytes=len(sealed),
                store=self.name,
                location=location,
            )
            pruned = await snapshots.prune(conn, session_id=session_id, keep=keep)
        return meta, pruned

    async def candidates(self, *, session_id: UUID, limit: int) -> list[SnapshotMeta]:
        async with self._pg.connection() as conn:
            return await snapshots.good(conn, session_id=session_id, limit=limit)

    async def load(self, meta: SnapshotMeta) -> bytes | None:
        async with self._pg.connection() as conn:
            return await snapshots.data(conn, snapshot_id=meta.id)

    async def refuse(self, meta: SnapshotMeta, reason: str) -> bool:
        async with self._pg.connection() as conn:
            return await snapshots.refuse(conn, snapshot_id=meta.id, reason=reason)

    async def close(self) -> None:
        return None  # the pool is the session's (the runtime closes it)


class S3SnapshotStore(PostgresSnapshotStore):
    """Sealed bytes as objects ``<prefix><session>/<sha256>``; metadata in ``wa_profile_snapshots``
    (store ``s3``, location = the key). The object is written before its row, so a row always
    names bytes that were stored; pruned rows take their objects with them."""

    name = "s3"

    def __init__(self, pg: AsyncConnectionPool, bucket: S3Bucket) -> None:
        super().__init__(pg)
        self._bucket = bucket

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
        key = f"{session_id}/{sha256}"
        await self._bucket.put(key, sealed, content_type="application/octet-stream")
        meta, pruned = await self._record(
            session_id=session_id,
            sealed=sealed,
            size_bytes=size_bytes,
            sha256=sha256,
            key_id=key_id,
            worker_id=worker_id,
            keep=keep,
            location=key,
        )
        for old in pruned:
            if old.store == self.name and old.location and old.location != key:
                await self._bucket.delete(old.location)
        return meta

    async def load(self, meta: SnapshotMeta) -> bytes | None:
        if meta.store != self.name or not meta.location:
            return await super().load(meta)  # one made before the switch to S3
        try:
            return b"".join([chunk async for chunk in self._bucket.read(meta.location)])
        except ObjectMissing:
            return None

    async def close(self) -> None:
        await self._bucket.aclose()


def snapshot_store(settings: Settings, pg: AsyncConnectionPool) -> SnapshotStore:
    """The store APP_SNAPSHOT_STORE names (S3: the media's storage, its own prefix)."""
    if settings.snapshot_store == "s3":
        config = s3_config(settings)
        bucket = S3Bucket(replace(config, prefix=settings.snapshot_s3_prefix))
        return S3SnapshotStore(pg, bucket)
    return PostgresSnapshotStore(pg)
