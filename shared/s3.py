"""A small asyncio client for one bucket (and key prefix) of any S3-compatible service.

aiobotocore (botocore's signing, retries and error model on aiohttp, which the project already
runs on) does the HTTP; this module only fixes the few calls a content store needs: put, size,
ranged streaming reads, delete. Each call opens a client for its own duration, so a user of
``S3Bucket`` has nothing to close. Reused by anything that keeps objects in S3 (media, profile
snapshots): give it a different bucket or prefix.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

READ_CHUNK = 256 * 1024
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class ObjectMissing(Exception):
    """The bucket has no object under that key."""


@dataclass(frozen=True, slots=True)
class S3Config:
    endpoint: str  # e.g. http://minio:9000; "" for AWS itself
    bucket: str
    region: str = "us-east-1"
    access_key: str = ""
    secret_key: str = ""
    prefix: str = ""  # every key of this user starts with it (e.g. "media/")
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in _MISSING_CODES


class S3Bucket:
    def __init__(self, config: S3Config, session: AioSession | None = None) -> None:
        self.config = config
        self._session = session or get_session()

    def key(self, name: str) -> str:
        return self.config.prefix + name

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[S3Client]:
        c = self.config
        options: dict[str, Any] = {
            "region_name": c.region,
            "config": AioConfig(
                s3={"addressing_style": "path"},  # MinIO & co. have no per-bucket host names
                connect_timeout=c.connect_timeout_s,
                read_timeout=c.read_timeout_s,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        }
        if c.endpoint:
            options["endpoint_url"] = c.endpoint
        if c.access_key:
            options["aws_access_key_id"] = c.access_key
            options["aws_secret_access_key"] = c.secret_key
        async with self._session.create_client("s3", **options) as client:
            yield client

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (tests, a fresh MinIO)."""
        async with self._client() as s3:
            try:
                await s3.head_bucket(Bucket=self.config.bucket)
            except ClientError as exc:
                if not _missing(exc):
                    raise
                await s3.create_bucket(Bucket=self.config.bucket)

    async def put(self, name: str, data: bytes, *, content_type: str) -> None:
        async with self._client() as s3:
            await s3.put_object(
                Bucket=self.config.bucket, Key=self.key(name), Body=data, ContentType=content_type
            )

    async def size(self, name: str) -> int:
        """The object's size; ``ObjectMissing`` when there is none."""
        async with self._client() as s3:
            try:
                head = await s3.head_object(Bucket=self.config.bucket, Key=self.key(name))
            except ClientError as exc:
                if _missing(exc):
                    raise ObjectMissing(name) from exc
                raise
        return int(head["ContentLength"])

    async def read(self, name: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive; None: to the end), streamed in chunks."""
        # "bytes=0-" is the whole object: S3 answers it like no Range at all
        wanted = f"bytes={start}-{'' if end is None else end}"
        async with self._client() as s3:
            try:
                got = await s3.get_object(
                    Bucket=self.config.bucket, Key=self.key(name), Range=wanted
                )
            except ClientError as exc:
                if _missing(exc):
                    raise ObjectMissing(name) from exc
                raise
            async with got["Body"] as body:
                while chunk := await body.read(READ_CHUNK):
                    yield chunk

    async def delete(self, name: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.config.bucket, Key=self.key(name))
