"""The media store in S3-compatible object storage: ``<prefix><company>/<aa>/<sha256>``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from shared.media.store import MediaMissing, MediaStore, StoredBlob, sha256_of
from shared.s3 import ObjectMissing, S3Bucket, S3Config
from shared.settings import Settings


def s3_config(settings: Settings) -> S3Config:
    return S3Config(
        endpoint=settings.media_s3_endpoint,
        bucket=settings.media_s3_bucket,
        region=settings.media_s3_region,
        access_key=settings.media_s3_access_key,
        secret_key=settings.media_s3_secret_key,
        prefix=settings.media_s3_prefix,
    )


def _name(company_id: UUID, sha256: str) -> str:
    return f"{company_id}/{sha256[:2]}/{sha256}"


class S3MediaStore(MediaStore):
    kind = "s3"

    def __init__(self, bucket: S3Bucket):
        self.bucket = bucket

    async def put(self, company_id: UUID, data: bytes) -> StoredBlob:
        digest = sha256_of(data)
        name = _name(company_id, digest)
        try:
            there = await self.bucket.size(name)
        except ObjectMissing:
            there = -1
        if there != len(data):  # content-addressed: the same name holds the same bytes
            await self.bucket.put(name, data, content_type="application/octet-stream")
        return StoredBlob(digest, len(data))

    async def size(self, company_id: UUID, sha256: str) -> int:
        try:
            return await self.bucket.size(_name(company_id, sha256))
        except ObjectMissing as exc:
            raise MediaMissing(sha256) from exc

    async def read(
        self, company_id: UUID, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.bucket.read(_name(company_id, sha256), start, end):
                yield chunk
        except ObjectMissing as exc:
            raise MediaMissing(sha256) from exc

    async def delete(self, company_id: UUID, sha256: str) -> None:
        await self.bucket.delete(_name(company_id, sha256))

    async def close(self) -> None:
        await self.bucket.aclose()
