"""A real S3-compatible server for the s3 backend's tests: moto's standalone server (from PyPI),
started once per test process on a free loopback port."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from shared.s3 import S3Config
from tests.support.procs import Proc, free_port, wait_http

ACCESS_KEY = "test-access"
SECRET_KEY = "test-secret"


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    logs = tmp_path_factory.mktemp("s3logs")
    proc = Proc("moto-s3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], {}, logs)
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.close()


@pytest.fixture
def s3_config(s3_endpoint: str) -> S3Config:
    """A bucket of its own per test (created by the test: ``S3Bucket.ensure_bucket``)."""
    return S3Config(
        endpoint=s3_endpoint,
        bucket=f"test-{secrets.token_hex(6)}",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        prefix="media/",
    )
