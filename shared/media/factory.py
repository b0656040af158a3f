"""The media store a process uses, from its settings."""

from __future__ import annotations

from shared.media.local import LocalMediaStore
from shared.media.store import MediaStore
from shared.settings import Settings


def media_store(settings: Settings) -> MediaStore:
    return LocalMediaStore(settings.media_dir)
