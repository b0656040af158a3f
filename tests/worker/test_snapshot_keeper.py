"""The worker's snapshots on real Postgres and Redis (no browser): save, retention, restore into an
empty profile, a corrupt newest snapshot refused for the previous one, reported."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared.db.repos import sessions, snapshots
from shared.fencing import Fence, StaleFence
from shared.s3 import S3Bucket, S3Config
from shared.settings import Settings
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.worker.test_snapshot_files import WA_URL, make_profile
from worker.fenced import FencedPool
from worker.snapshots import files
from worker.snapshots.keeper import MARKER, SnapshotKeeper
from worker.snapshots.store import PostgresSnapshotStore, S3SnapshotStore, snapshot_store


@pytest.fixture
def snap_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"wa_url": WA_URL, "snapshot_keep": 2})


@pytest.fixture
async def session_id(pg: AsyncConnectionPool, make_company: MakeCompany) -> UUID:
    company = await make_company()
    async with pg.connection() as conn:
        return (await sessions.create(conn, company_id=company.id, name="main")).id


def keeper(settings: Settings, pg: AsyncConnectionPool, redis: Redis, sid: UUID) -> SnapshotKeeper:
    return SnapshotKeeper(
        settings, PostgresSnapshotStore(pg), redis, session_id=sid, worker_id="w-test"
    )


async def _rows(pg: AsyncConnectionPool, sid: UUID) -> list[tuple[int, str, str | None]]:
    async with pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT generation, status, refused_reason FROM wa_profile_snapshots"
            " WHERE session_id = %s ORDER BY generation",
            (sid,),
        )
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


async def test_saved_sealed_and_pruned_to_the_newest_n(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    profile = make_profile(tmp_path / "a")
    k = keeper(snap_settings, pg, redis, session_id)
    await k.restore(profile)  # nothing stored yet: the local profile is kept
    first = await k.snapshot(force=False)
    assert first is not None and first.generation == 1
    assert await k.snapshot(force=False) is None  # unchanged: nothing new
    for n in range(3):
        (profile / "Default/Cookies").write_text(f"cookies {n}")
        assert await k.snapshot(force=False) is not None
    assert await _rows(pg, session_id) == [(3, "good", None), (4, "good", None)]
    async with pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute("SELECT data, size_bytes FROM wa_profile_snapshots LIMIT 1")
        row = await cur.fetchone()
    assert row is not None and b"cookies" not in bytes(row[0]) and row[1] > 0
    assert (profile / MARKER).read_text().startswith('{"generation": 4')


async def test_an_empty_profile_gets_the_newest_and_a_corrupt_one_falls_back(
    snap_settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    session_id: UUID,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    host_a = make_profile(tmp_path / "a", "gen1")
    a = keeper(snap_settings, pg, redis, session_id)
    await a.restore(host_a)
    await a.snapshot(force=False)
    (host_a / "Default/Cookies").write_text("cookies-gen2")
    await a.snapshot(force=False)

    host_b = tmp_path / "b"
    host_b.mkdir()
    assert await keeper(snap_settings, pg, redis, session_id).restore(host_b) == 2
    assert (host_b / "Default/Cookies").read_text() == "cookies-gen2"

    # the newest is damaged at rest: refused, reported, the previous one restored instead
    async with pg.connection() as conn:
        await conn.execute(
            "UPDATE wa_profile_snapshots SET data = substring(data FROM 1 FOR 40)"
            " WHERE session_id = %s AND generation = 2",
            (session_id,),
        )
    host_c = tmp_path / "c"
    host_c.mkdir()
    with caplog.at_level(logging.WARNING, logger="worker.snapshots.keeper"):
        assert await keeper(snap_settings, pg, redis, session_id).restore(host_c) == 1
    assert (host_c / "Default/Cookies").read_text() == "cookies-gen1"
    assert await _rows(pg, session_id) == [(1, "good", None), (2, "refused", "decrypt_failed")]
    failures: Any = redis.hgetall(NAMES.snapshot_failures)  # redis-py types it loosely
    assert (await failures)[b"decrypt_failed"] == b"1"
    assert [r.message for r in caplog.records if "snapshot failure" in r.message] == [
        f"session={session_id} snapshot failure reason=decrypt_failed: generation 2: "
        "authentication tag mismatch"
    ]
    async with pg.connection() as conn:
        summary = (await snapshots.summaries(conn))[session_id]
    assert (summary.generation, summary.good, summary.refused) == (1, 1, 1)
    assert summary.last_refused_reason == "decrypt_failed"


async def test_a_profile_as_new_as_the_store_is_kept(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    profile = make_profile(tmp_path / "a")
    a = keeper(snap_settings, pg, redis, session_id)
    await a.restore(profile)
    await a.snapshot(force=False)
    (profile / "Default/Cookies").write_text("newer than any snapshot")
    assert await keeper(snap_settings, pg, redis, session_id).restore(profile) is None
    assert (profile / "Default/Cookies").read_text() == "newer than any snapshot"
    # a profile older than the store (another host snapshotted since) is replaced
    (profile / MARKER).write_text('{"generation": 0}')
    assert await keeper(snap_settings, pg, redis, session_id).restore(profile) == 1
    assert (profile / "Default/Cookies").read_text() == "cookies-one"


async def test_hash_mismatch_and_another_key_are_refused(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    a = keeper(snap_settings, pg, redis, session_id)
    await a.restore(make_profile(tmp_path / "a"))
    await a.snapshot(force=False)
    other_key = snap_settings.model_copy(update={"snapshot_key": "z" * 40})
    empty = tmp_path / "e"
    empty.mkdir()
    assert await keeper(other_key, pg, redis, session_id).restore(empty) is None
    assert await _rows(pg, session_id) == [(1, "refused", "key_mismatch")]
    assert not files.has_state(empty, WA_URL)


async def test_disabled_does_nothing(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    off = snap_settings.model_copy(update={"snapshots": False})
    k = keeper(off, pg, redis, session_id)
    assert await k.restore(make_profile(tmp_path / "a")) is None
    k.start(lambda: True)
    await k.close(final=True)
    assert await _rows(pg, session_id) == []


async def test_a_clean_stop_snapshots_what_changed_since_the_last(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    profile = make_profile(tmp_path / "a")
    k = keeper(snap_settings, pg, redis, session_id)
    await k.restore(profile)
    k.start(lambda: False)  # never linked while watched: nothing taken in the background
    await k.snapshot(force=False)
    (profile / "Default/Local Storage/leveldb/000003.log").write_text("written at shutdown")
    await k.close(final=True)
    assert await _rows(pg, session_id) == [(1, "good", None), (2, "good", None)]
    await k.close(final=True)  # nothing changed since: nothing new
    assert len(await _rows(pg, session_id)) == 2


async def test_a_stale_holders_snapshot_is_refused(
    snap_settings: Settings, pg: AsyncConnectionPool, redis: Redis, session_id: UUID, tmp_path: Path
) -> None:
    async with pg.connection() as conn:
        old = await sessions.worker_grant(conn, session_id=session_id, worker_id="w-old")
        new = await sessions.worker_grant(conn, session_id=session_id, worker_id="w-new")
    assert old is not None and new is not None
    refused: list[StaleFence] = []
    pool = FencedPool(
        snap_settings.database_url, fence=Fence(old.id, old.fence), on_refused=refused.append
    )
    await pool.open(wait=True, timeout=10)
    try:
        stale = keeper(snap_settings, pool, redis, session_id)
        await stale.restore(make_profile(tmp_path / "a"))
        with pytest.raises(StaleFence):
            await stale.snapshot(force=True)
    finally:
        await pool.close()
    assert len(refused) == 1
    assert await _rows(pg, session_id) == []


async def test_the_s3_store_keeps_bytes_in_the_bucket_and_rows_in_postgres(
    snap_settings: Settings,
    pg: AsyncConnectionPool,
    redis: Redis,
    session_id: UUID,
    tmp_path: Path,
    s3_config: S3Config,
) -> None:
    """APP_SNAPSHOT_STORE=s3 against a real S3-compatible server: saved as objects, restored on
    an empty profile, pruned objects deleted, a missing object refused for the previous one."""
    settings = snap_settings.model_copy(
        update={
            "snapshot_store": "s3",
            "media_s3_endpoint": s3_config.endpoint,
            "media_s3_bucket": s3_config.bucket,
            "media_s3_access_key": s3_config.access_key,
            "media_s3_secret_key": s3_config.secret_key,
            "snapshot_s3_prefix": "snapshots/",
        }
    )
    store = snapshot_store(settings, pg)
    assert isinstance(store, S3SnapshotStore)
    bucket = S3Bucket(replace(s3_config, prefix="snapshots/"))
    await bucket.ensure_bucket()

    def s3_keeper() -> SnapshotKeeper:
        return SnapshotKeeper(
            settings, snapshot_store(settings, pg), redis, session_id=session_id, worker_id="w"
        )

    profile = make_profile(tmp_path / "a", "gen1")
    a = s3_keeper()
    await a.restore(profile)
    for n in range(3):
        if n:
            (profile / "Default/Cookies").write_text(f"cookies-gen{n + 1}")
        assert await a.snapshot(force=False) is not None
    await a.close(final=False)
    async with pg.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(
            "SELECT generation, store, location, data IS NULL FROM wa_profile_snapshots"
            " WHERE session_id = %s ORDER BY generation",
            (session_id,),
        )
        rows = await cur.fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [(2, "s3", True), (3, "s3", True)]
    keys = [str(r[2]) for r in rows]
    for key in keys:
        assert await bucket.size(key) > 0
    # generation 1 was pruned: its object went with its row
    assert await _session_objects(bucket, session_id) == sorted(bucket.key(k) for k in keys)

    host_b = tmp_path / "b"
    host_b.mkdir()
    b = s3_keeper()
    assert await b.restore(host_b) == 3
    await b.close(final=False)
    assert (host_b / "Default/Cookies").read_text() == "cookies-gen3"

    await bucket.delete(keys[1])  # the newest object lost: refused, the previous one restored
    host_c = tmp_path / "c"
    host_c.mkdir()
    c = s3_keeper()
    assert await c.restore(host_c) == 2
    await c.close(final=False)
    assert (host_c / "Default/Cookies").read_text() == "cookies-gen2"
    assert (await _rows(pg, session_id))[-1][1] == "refused"
    await bucket.aclose()


async def _session_objects(bucket: S3Bucket, session_id: UUID) -> list[str]:
    """The keys of the session's objects in the bucket."""
    async with bucket._client() as client:
        page = await client.list_objects_v2(
            Bucket=bucket.config.bucket, Prefix=bucket.key(f"{session_id}/")
        )
        return sorted(str(o["Key"]) for o in page.get("Contents", []))
