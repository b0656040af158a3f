"""Both media store backends against real storage: a directory, and an S3-compatible server
(moto's standalone server over HTTP). Round trip, dedup, ranged reads, missing blobs."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.media.factory import media_store
from shared.media.local import LocalMediaStore
from shared.media.s3 import S3MediaStore
from shared.media.store import CHUNK, MediaMissing, MediaStore, sha256_of
from shared.s3 import ObjectStoreError, S3Bucket, S3Config
from shared.settings import Settings
from tests.support.procs import free_port


@pytest.fixture(params=["local", "s3"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, s3_config: S3Config
) -> AsyncIterator[MediaStore]:
    if request.param == "local":
        yield LocalMediaStore(tmp_path)
        return
    store = S3MediaStore(S3Bucket(s3_config))
    await store.bucket.ensure_bucket()
    yield store
    await store.close()


async def test_round_trip_and_size(store: MediaStore) -> None:
    company = uuid.uuid4()
    data = os.urandom(3 * CHUNK + 17)  # several chunks, the last one short
    blob = await store.put(company, data)
    assert (blob.sha256, blob.size) == (sha256_of(data), len(data))
    assert await store.size(company, blob.sha256) == len(data)
    assert await store.read_all(company, blob.sha256) == data


async def test_same_bytes_are_kept_once_per_company(store: MediaStore) -> None:
    company, other = uuid.uuid4(), uuid.uuid4()
    data = b"the same photo" * 1000
    first = await store.put(company, data)
    again = await store.put(company, data)
    assert first == again
    await store.delete(company, first.sha256)  # one delete removes the only copy
    with pytest.raises(MediaMissing):
        await store.size(company, first.sha256)
    # companies never share a blob: another company's copy is its own
    await store.put(company, data)
    with pytest.raises(MediaMissing):
        await store.size(other, first.sha256)


async def test_ranged_reads(store: MediaStore) -> None:
    company = uuid.uuid4()
    data = bytes(range(256)) * 2048  # 512 KiB
    sha = (await store.put(company, data)).sha256

    async def part(start: int, end: int | None) -> bytes:
        return b"".join([c async for c in store.read(company, sha, start, end)])

    assert await part(0, 0) == data[:1]
    assert await part(10, 19) == data[10:20]
    assert await part(CHUNK - 5, CHUNK + 5) == data[CHUNK - 5 : CHUNK + 6]
    assert await part(len(data) - 100, None) == data[-100:]
    assert await part(0, None) == data


async def test_missing_blob(store: MediaStore) -> None:
    company, sha = uuid.uuid4(), "0" * 64
    with pytest.raises(MediaMissing):
        await store.size(company, sha)
    with pytest.raises(MediaMissing):
        await store.read_all(company, sha)
    await store.delete(company, sha)  # deleting what is gone is no error


async def test_factory_picks_the_backend(tmp_path: Path, s3_config: S3Config) -> None:
    local = media_store(Settings(mode="test", media_dir=tmp_path))
    assert isinstance(local, LocalMediaStore)
    s3 = media_store(
        Settings(
            mode="test",
            media_backend="s3",
            media_s3_endpoint=s3_config.endpoint,
            media_s3_bucket=s3_config.bucket,
            media_s3_access_key=s3_config.access_key,
            media_s3_secret_key=s3_config.secret_key,
            media_s3_prefix="p/",
        )
    )
    assert isinstance(s3, S3MediaStore)
    await s3.bucket.ensure_bucket()
    blob = await s3.put(uuid.uuid4(), b"x")
    assert s3.bucket.config.prefix == "p/" and blob.size == 1
    await s3.close()
    with pytest.raises(ValueError, match="APP_MEDIA_S3_BUCKET"):
        Settings(mode="test", media_backend="s3")


async def test_an_unreachable_s3_is_an_os_error() -> None:
    """Callers handle both backends alike: a failing service is an OSError (503 in the API)."""
    dead = S3Config(endpoint=f"http://127.0.0.1:{free_port()}", bucket="b", access_key="k",
                    secret_key="s", connect_timeout_s=1)  # fmt: skip
    store = S3MediaStore(S3Bucket(dead))
    with pytest.raises(ObjectStoreError):
        await store.put(uuid.uuid4(), b"x")
    with pytest.raises(OSError):
        await store.read_all(uuid.uuid4(), "0" * 64)
    await store.close()


async def test_the_client_is_kept_and_reopened_after_close(s3_config: S3Config) -> None:
    bucket = S3Bucket(s3_config)
    await bucket.ensure_bucket()
    await bucket.put("a", b"1", content_type="text/plain")
    first = await bucket._shared()
    assert await bucket.size("a") == 1 and await bucket._shared() is first
    await bucket.aclose()
    assert await bucket.size("a") == 1  # opens a new client
    assert await bucket._shared() is not first
    await bucket.aclose()
