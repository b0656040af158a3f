"""A small asyncio client for one bucket (and key prefix) of any S3-compatible service.

Errors come as ``ObjectMissing`` (no such key or bucket) or ``ObjectStoreError`` (an OSError:
the service failed or is unreachable).

aiobotocore (botocore's signing, retries and error model on aiohttp, which the project already
runs on) does the HTTP; this module only fixes the few calls a content store needs: put, size,
ranged streaming reads, delete. One client per bucket object and event loop keeps its
connections (TLS to a remote S3 is set up once, not per call); close it with ``aclose()``.
Reused by anything that keeps objects in S3 (media, profile
snapshots): give it a different bucket or prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

READ_CHUNK = 256 * 1024
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class ObjectMissing(Exception):
    """The bucket has no object under that key."""


class ObjectStoreError(OSError):
    """The storage failed or could not be reached (after botocore's retries): an I/O error, as
    a failing disk would raise, so callers treat both backends alike."""


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
    """One bucket (and prefix). Its client (connection pool, signing) is opened on first use on
    the running event loop and kept: ``aclose()`` releases it (a later call opens a new one)."""

    def __init__(self, config: S3Config, session: AioSession | None = None) -> None:
        self.config = config
        self._session = session or get_session()
        self._open: tuple[asyncio.AbstractEventLoop, AsyncExitStack, S3Client] | None = None
        self._opening: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def key(self, name: str) -> str:
        return self.config.prefix + name

    def _options(self) -> dict[str, Any]:
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
        return options

    async def _shared(self) -> S3Client:
        loop = asyncio.get_running_loop()
        if self._open is not None and self._open[0] is loop:
            return self._open[2]
        async with self._opening.setdefault(loop, asyncio.Lock()):
            if self._open is None or self._open[0] is not loop:
                # a client of another (finished) loop cannot be used, nor closed, here
                stack = AsyncExitStack()
                client = await stack.enter_async_context(
                    self._session.create_client("s3", **self._options())
                )
                self._open = (loop, stack, client)
            return self._open[2]

    async def aclose(self) -> None:
        opened, self._open = self._open, None
        self._opening.clear()
        if opened is not None and opened[0] is asyncio.get_running_loop():
            await opened[1].aclose()

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[S3Client]:
        """The shared client, with botocore's errors as ObjectMissing / ObjectStoreError."""
        bucket = self.config.bucket
        try:
            yield await self._shared()
        except ClientError as exc:
            if _missing(exc):
                raise ObjectMissing(str(exc)) from exc
            raise ObjectStoreError(f"S3 {bucket}: {exc}") from exc
        except (BotoCoreError, aiohttp.ClientError) as exc:  # the latter: mid-body
            raise ObjectStoreError(f"S3 {bucket}: {exc}") from exc

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (tests, a fresh MinIO)."""
        try:
            async with self._client() as s3:
                await s3.head_bucket(Bucket=self.config.bucket)
        except ObjectMissing:
            async with self._client() as s3:
                await s3.create_bucket(Bucket=self.config.bucket)

    async def put(self, name: str, data: bytes, *, content_type: str) -> None:
        async with self._client() as s3:
            await s3.put_object(
                Bucket=self.config.bucket, Key=self.key(name), Body=data, ContentType=content_type
            )

    async def size(self, name: str) -> int:
        """The object's size; ``ObjectMissing`` when there is none."""
        async with self._client() as s3:
            head = await s3.head_object(Bucket=self.config.bucket, Key=self.key(name))
        return int(head["ContentLength"])

    async def read(self, name: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes ``start`` .. ``end`` (inclusive; None: to the end), streamed in chunks."""
        # "bytes=0-" is the whole object: S3 answers it like no Range at all
        wanted = f"bytes={start}-{'' if end is None else end}"
        async with self._client() as s3:
            got = await s3.get_object(Bucket=self.config.bucket, Key=self.key(name), Range=wanted)
            async with got["Body"] as body:
                while chunk := await body.read(READ_CHUNK):
                    yield chunk

    async def delete(self, name: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.config.bucket, Key=self.key(name))
