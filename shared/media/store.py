"""The media store: content-addressed blobs (sha256), one namespace per company.

Two backends implement it: a local directory (``local``, the default) and S3-compatible object
storage (``s3``). The store only holds bytes; which blobs exist for a company, their type and use
are rows in Postgres (wa_media_blobs).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

CHUNK = 256 * 1024


class MediaMissing(Exception):
    """The store has no such blob (removed by retention, or lost)."""


@dataclass(frozen=True, slots=True)
class StoredBlob:
    sha256: str
    size: int


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class MediaStore(ABC):
    kind: str

    @abstractmethod
    async def put(self, company_id: UUID, data: bytes) -> StoredBlob:
        """Store ``data`` under its sha256 (once: an existing blob is kept as it is)."""

    @abstractmethod
    async def size(self, company_id: UUID, sha256: str) -> int:
        """The blob's size; raises ``MediaMissing``."""

    @abstractmethod
    def read(
        self, company_id: UUID, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive; None: to the end) in chunks; raises
        ``MediaMissing``."""

    @abstractmethod
    async def delete(self, company_id: UUID, sha256: str) -> None:
        """Remove the blob (no error when it is gone already)."""

    async def close(self) -> None:  # noqa: B027 (a no-op unless the backend holds connections)
        """Release what the backend holds open (S3 connections); the store stays usable."""

    async def read_all(self, company_id: UUID, sha256: str) -> bytes:
        return b"".join([chunk async for chunk in self.read(company_id, sha256)])
