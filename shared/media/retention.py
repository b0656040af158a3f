"""Media retention (APP_MEDIA_RETENTION_DAYS): blobs nobody used for that long, and that no
message since then points at, leave the store; the media rows that pointed at them become
``expired`` (the message and its caption stay). Run by the webhook sender's leader, with the
event log's pruning, so one process in the deployment does it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from shared.db.repos import media
from shared.media.store import MediaStore

log = logging.getLogger(__name__)

BATCH = 200


@dataclass(frozen=True, slots=True)
class Expired:
    blobs: int
    media: int


async def expire_media(
    pg: AsyncConnectionPool,
    store: MediaStore,
    *,
    days: int,
    now: datetime | None = None,
    batch: int = BATCH,
) -> Expired:
    """Remove what retention allows; returns how many blobs went and media rows expired."""
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    blobs = rows = 0
    while True:
        async with pg.connection() as conn:
            stale = await media.stale_blobs(conn, before=before, limit=batch)
        for blob in stale:
            async with pg.connection() as conn, conn.transaction():
                expired = await media.expire_blob(
                    conn, company_id=blob.company_id, sha256=blob.sha256, before=before
                )
            if expired < 0:  # used again meanwhile: kept
                continue
            # after the commit: a failure here leaves bytes nobody points at, never a row
            # pointing at bytes that are gone
            await store.delete(blob.company_id, blob.sha256)
            blobs += 1
            rows += expired
        if len(stale) < batch:
            break
    if blobs:
        log.info(
            "media retention removed blobs=%d expired_media=%d unused since %s",
            blobs,
            rows,
            before.isoformat(timespec="seconds"),
        )
    return Expired(blobs, rows)
