"""Media for tests: small real pictures, and stored media on seeded messages."""

from __future__ import annotations

import io
from uuid import UUID

from PIL import Image
from psycopg_pool import AsyncConnectionPool

from shared.db.repos import media
from shared.db.types import MessageMedia
from shared.media.store import MediaStore


def jpeg(size: tuple[int, int] = (40, 30), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


async def seed_media(
    pg: AsyncConnectionPool,
    store: MediaStore,
    company_id: UUID,
    session_id: UUID,
    message_id: UUID,
    data: bytes,
    *,
    kind: str = "image",
    mime: str = "image/jpeg",
    file_name: str | None = None,
    status: str = "stored",
) -> MessageMedia:
    """The message's media as a worker leaves it: stored (bytes in the store, blob recorded),
    or pending / failed / expired."""
    sha = None
    if status in ("stored", "expired"):
        blob = await store.put(company_id, data)
        sha = blob.sha256
    async with pg.connection() as conn:
        # a media message's type is its kind (the worker and send-media write it so)
        await conn.execute("UPDATE wa_messages SET type = %s WHERE id = %s", (kind, message_id))
        if sha is not None:
            await media.record_blob(
                conn, company_id=company_id, sha256=sha, size=len(data), mime=mime
            )
        row = await media.capture(
            conn,
            message_id=message_id,
            company_id=company_id,
            session_id=session_id,
            kind=kind,
            mime=mime,
            size=len(data),
            file_name=file_name,
            sha256=sha,
        )
        if status in ("failed", "expired"):
            await conn.execute(
                "UPDATE wa_message_media SET status = %s WHERE message_id = %s",
                (status, message_id),
            )
            found = await media.get(conn, company_id=company_id, message_id=message_id)
            assert found is not None
            row = found
    return row
