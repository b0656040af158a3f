"""The media store a process uses, from its settings (APP_MEDIA_BACKEND)."""

from __future__ import annotations

from shared.media.local import LocalMediaStore
from shared.media.s3 import S3MediaStore, s3_config
from shared.media.store import MediaStore
from shared.s3 import S3Bucket
from shared.settings import Settings


def media_store(settings: Settings) -> MediaStore:
    if settings.media_backend == "s3":
        return S3MediaStore(S3Bucket(s3_config(settings)))
    return LocalMediaStore(settings.media_dir)
