"""The media store in a local directory, ``<root>/<company>/<aa>/<sha256>`` (a volume)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

from shared.media.store import CHUNK, MediaMissing, MediaStore, StoredBlob, sha256_of


class LocalMediaStore(MediaStore):
    kind = "local"

    def __init__(self, root: Path):
        self._root = root

    def path(self, company_id: UUID, sha256: str) -> Path:
        return self._root / str(company_id) / sha256[:2] / sha256

    async def put(self, company_id: UUID, data: bytes) -> StoredBlob:
        digest = sha256_of(data)
        await asyncio.to_thread(self._write_once, self.path(company_id, digest), data)
        return StoredBlob(digest, len(data))

    @staticmethod
    def _write_once(path: Path, data: bytes) -> None:
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file

    async def size(self, company_id: UUID, sha256: str) -> int:
        try:
            return self.path(company_id, sha256).stat().st_size
        except FileNotFoundError as exc:
            raise MediaMissing(sha256) from exc

    async def read(
        self, company_id: UUID, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        path = self.path(company_id, sha256)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as exc:
            raise MediaMissing(sha256) from exc
        try:
            await asyncio.to_thread(handle.seek, start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = await asyncio.to_thread(
                    handle.read, CHUNK if left is None else min(CHUNK, left)
                )
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, company_id: UUID, sha256: str) -> None:
        self.path(company_id, sha256).unlink(missing_ok=True)
