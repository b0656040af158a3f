"""Media retention (APP_MEDIA_RETENTION_DAYS): blobs unused for N days that no newer message
needs leave the store, their media rows become expired; run by the webhook sender's leader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.db.repos import media
from shared.media.local import LocalMediaStore
from shared.media.retention import expire_media
from shared.media.store import MediaMissing, MediaStore
from shared.settings import Settings
from tests.conftest import MakeCompany
from tests.support.media import jpeg, seed_media
from tests.support.wa import seed_chat, seed_messages, seed_session
from tests.webhooks.conftest import StartSender


async def _age(pg: AsyncConnectionPool, message_id: UUID, sha: str, days: float) -> None:
    """The message was created, and its blob last used, ``days`` ago."""
    then = datetime.now(UTC) - timedelta(days=days)
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_messages SET created_at = %s WHERE id = %s", (then, message_id)
        )
        await conn.execute(
            "UPDATE wa_media_blobs SET last_used_at = %s WHERE sha256 = %s", (then, sha)
        )


async def _status(pg: AsyncConnectionPool, company_id: UUID, message_id: UUID) -> str:
    async with pg.connection() as conn:
        row = await media.get(conn, company_id=company_id, message_id=message_id)
    assert row is not None
    return row.status


async def _world(
    pg: AsyncConnectionPool, make_company: MakeCompany, store: MediaStore
) -> tuple[UUID, list[UUID], list[str]]:
    """Three stored photos: old and unused (goes), old but also on a message of today (kept),
    recent (kept)."""
    company = await make_company()
    session = await seed_session(pg, company.id)
    chat = await seed_chat(pg, session.id, "79001234567@c.us")
    old, shared_old, shared_new, recent = await seed_messages(pg, session.id, chat.id, 4)
    photos = [jpeg(color=c) for c in ("red", "green", "blue")]
    shas: list[str] = []
    for message, data in ((old, photos[0]), (shared_old, photos[1]), (recent, photos[2])):
        row = await seed_media(pg, store, company.id, session.id, message, data)
        assert row.sha256 is not None
        shas.append(row.sha256)
    await seed_media(pg, store, company.id, session.id, shared_new, photos[1])
    await _age(pg, old, shas[0], 10)
    await _age(pg, shared_old, shas[1], 10)  # its blob's last use is old, one message is not
    return company.id, [old, shared_old, shared_new, recent], shas


async def test_stale_blobs_go_and_their_media_expires(
    pg: AsyncConnectionPool, make_company: MakeCompany, settings: Settings
) -> None:
    store = LocalMediaStore(settings.media_dir)
    company, (old, shared_old, shared_new, recent), shas = await _world(pg, make_company, store)
    done = await expire_media(pg, store, days=7)
    assert (done.blobs, done.media) == (1, 1)
    assert await _status(pg, company, old) == "expired"
    for kept in (shared_old, shared_new, recent):
        assert await _status(pg, company, kept) == "stored"
    with pytest.raises(MediaMissing):
        await store.size(company, shas[0])
    assert await store.size(company, shas[1]) > 0 and await store.size(company, shas[2]) > 0
    async with pg.connection() as conn:
        cur = await conn.execute(
            "SELECT sha256 FROM wa_media_blobs WHERE company_id = %s", (company,)
        )
        left = {r["sha256"] if isinstance(r, dict) else r[0] for r in await cur.fetchall()}
    assert left == {shas[1], shas[2]}
    again = await expire_media(pg, store, days=7)
    assert (again.blobs, again.media) == (0, 0)


async def test_the_sender_runs_retention(
    pg: AsyncConnectionPool,
    make_company: MakeCompany,
    start_sender: StartSender,
    settings: Settings,
) -> None:
    store = LocalMediaStore(settings.media_dir)
    company, (old, *_), _ = await _world(pg, make_company, store)
    running = await start_sender(media_retention_days=7, prune_interval_s=0.2)
    async with asyncio.timeout(10):
        while await _status(pg, company, old) != "expired":  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    await running.stop()
