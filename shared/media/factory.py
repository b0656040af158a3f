"""The media store a process uses, from its settings (APP_MEDIA_BACKEND)."""

from __future__ import annotations

from shared.media.local import LocalMediaStore
from shared.media.store import MediaStore
from shared.settings import Settings


def media_store(settings: Settings) -> MediaStore:
    if settings.media_backend == "s3":
        # imported here: the S3 client library adds ~8 MB to every process that loads it
        from shared.media.s3 import S3MediaStore, s3_config
        from shared.s3 import S3Bucket

        return S3MediaStore(S3Bucket(s3_config(settings)))
    return LocalMediaStore(settings.media_dir)
