"""A session's snapshots, seen from the worker holding it: restore before Chromium starts, snapshot
while linked when storage changed (debounced), and once more after a clean stop.

The profile directory remembers the generation it holds (``.snapshot.json``): a profile without it,
or with an older one than the store's newest good snapshot, is replaced by that snapshot. Every
failure is counted (``wa:snapshot_failures`` -> ``wa_snapshot_failures_total{reason}``), logged
once, and a refused snapshot is marked so operators see it and nobody tries it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from psycopg import Error as PgError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.constants import RedisNames
from shared.db.repos.snapshots import SnapshotMeta
from shared.settings import Settings
from worker.snapshots import files
from worker.snapshots.errors import SnapshotError, SnapshotRefused
from worker.snapshots.seal import SnapshotKey, open_sealed, seal, sha256_hex
from worker.snapshots.store import SnapshotStore

log = logging.getLogger(__name__)

MARKER = ".snapshot.json"
CHECK_EVERY_S = 1.0
# storage that never stays quiet (messages keep coming) is still snapshotted this often
MAX_WAIT_FACTOR = 12
# Chromium writes a page's Local Storage changes to disk in batches, about 2-5 s later (measured
# on Chromium 156): the first snapshot of a link waits this long so that it holds the link
COMMIT_DELAY_S = 6.0
SETTLE_CHECK_S = 0.2


class SnapshotKeeper:
    def __init__(
        self,
        settings: Settings,
        store: SnapshotStore,
        redis: Redis,
        *,
        session_id: UUID,
        worker_id: str,
    ) -> None:
        self.enabled = settings.snapshots
        self._settings = settings
        self._store = store
        self._redis = redis
        self._failures_key = RedisNames.of(settings).snapshot_failures
        self._key = SnapshotKey.derive(settings.snapshot_secret)
        self._session_id = session_id
        self._worker_id = worker_id
        self._profile: Path | None = None
        self._saved: files.Fingerprint | None = None
        self._seen: files.Fingerprint | None = None
        self._changed_at = 0.0
        self._first_change = 0.0
        self._logged: set[tuple[str, int | None]] = set()
        self._lock = asyncio.Lock()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._linked_since: float | None = None  # monotonic; None while not linked
        self._at_link: files.Fingerprint | None = None  # the storage files when it was seen
        self.last_saved: SnapshotMeta | None = None

    @property
    def _wa_url(self) -> str:
        return self._settings.wa_url

    # --- restore -----------------------------------------------------------------------

    async def restore(self, profile: Path) -> int | None:
        """Bring the profile up to the newest good snapshot when it is missing or older; the
        generation installed, or None when the local profile was kept."""
        self._profile = profile
        if not self.enabled:
            return None
        try:
            found = await self._store.candidates(
                session_id=self._session_id, limit=self._settings.snapshot_keep
            )
        except (PgError, OSError) as exc:
            await self._report("store_unavailable", str(exc))
            return None
        local = await asyncio.to_thread(self._local_generation, profile)
        if not found or (local is not None and local >= found[0].generation):
            return None
        for meta in found:
            if await self._try_install(profile, meta):
                return meta.generation
        return None

    def _local_generation(self, profile: Path) -> int | None:
        if not files.has_state(profile, self._wa_url):
            return None
        try:
            marker = json.loads((profile / MARKER).read_text())
            return int(marker["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    async def _try_install(self, profile: Path, meta: SnapshotMeta) -> bool:
        started = time.monotonic()
        try:
            sealed = await self._store.load(meta)
            if sealed is None:
                raise SnapshotRefused("missing", "the stored bytes are gone")
            count = await asyncio.to_thread(self._open_and_install, profile, meta, sealed)
        except SnapshotRefused as exc:
            await self._refuse(meta, exc)
            return False
        except (PgError, OSError) as exc:
            await self._report("restore_failed", str(exc), meta.id)
            return False
        self._write_marker(profile, meta)
        log.info(
            "session=%s snapshot restored generation=%d files=%d bytes=%d in %.0f ms",
            self._session_id,
            meta.generation,
            count,
            meta.size_bytes,
            (time.monotonic() - started) * 1000,
        )
        return True

    def _open_and_install(self, profile: Path, meta: SnapshotMeta, sealed: bytes) -> int:
        archive = open_sealed(
            self._key, sealed, session_id=self._session_id, key_id=meta.key_id, sha256=meta.sha256
        )
        return files.install(archive, profile, self._wa_url)

    async def _refuse(self, meta: SnapshotMeta, exc: SnapshotRefused) -> None:
        with contextlib.suppress(PgError, OSError):
            await self._store.refuse(meta, exc.reason)
        await self._report(exc.reason, f"generation {meta.generation}: {exc.detail}", meta.id)

    # --- snapshot ----------------------------------------------------------------------

    def start(self, linked: Callable[[], bool]) -> None:
        """Watch the profile in the background; snapshots are taken only while ``linked()``
        (and only when snapshots are on: the link's age is followed either way, ``settle``)."""
        if self._profile is not None:
            self._task = asyncio.create_task(self._watch(linked), name="snapshots")

    async def settle(self) -> None:
        """Before a clean stop closes Chromium: a link younger than ``COMMIT_DELAY_S`` waits
        until the profile's storage files change after it (Chromium's batched Local Storage
        write, which holds the link, reached the disk) or that delay has passed, so that the
        final snapshot and the next browser have it. For links made by this run only."""
        since = self._linked_since or time.monotonic()  # None: linked within the last check
        left = COMMIT_DELAY_S - (time.monotonic() - since)
        if left <= 0 or self._profile is None:
            return
        log.info(
            "session=%s link %.1f s old: the browser closes once it is on disk (%.1f s at most)",
            self._session_id,
            COMMIT_DELAY_S - left,
            left,
        )
        deadline = time.monotonic() + left
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                now = await asyncio.to_thread(files.fingerprint, self._profile, self._wa_url)
                if self._at_link is not None and now != self._at_link:
                    return
            await asyncio.sleep(SETTLE_CHECK_S)

    async def close(self, *, final: bool) -> None:
        """Stop watching; ``final``: the browser is closed and the session was linked: take the
        clean-stop snapshot when anything changed since the last one."""
        self._closing.set()
        if self._task is not None:
            await self._task
            self._task = None
        try:
            if final and self.enabled and self._profile is not None:
                await self.snapshot(force=False)
        finally:
            await self._store.close()

    async def _watch(self, linked: Callable[[], bool]) -> None:
        assert self._profile is not None
        while not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CHECK_EVERY_S):
                    await self._closing.wait()
            if self._closing.is_set():
                break
            if not linked():
                self._linked_since, self._at_link = None, None
                continue
            if self._linked_since is None:
                self._linked_since = time.monotonic()
                with contextlib.suppress(OSError):  # what is on disk when the link was seen
                    self._at_link = await asyncio.to_thread(
                        files.fingerprint, self._profile, self._wa_url
                    )
            if time.monotonic() - self._linked_since < COMMIT_DELAY_S or not self.enabled:
                continue
            if await self._due(self._profile):
                await self.snapshot(force=False)

    async def _due(self, profile: Path) -> bool:
        now = time.monotonic()
        try:
            current = await asyncio.to_thread(files.fingerprint, profile, self._wa_url)
        except OSError as exc:  # a directory vanished under the walk: look again next second
            log.debug("session=%s fingerprint failed: %s", self._session_id, exc)
            return False
        if current == self._saved or not current:
            self._seen = None
            return False
        if current != self._seen:
            if self._seen is None:
                self._first_change = now
            self._seen, self._changed_at = current, now
        quiet = now - self._changed_at >= self._settings.snapshot_debounce_s
        overdue = now - self._first_change >= self._settings.snapshot_debounce_s * MAX_WAIT_FACTOR
        return quiet or overdue

    async def snapshot(self, *, force: bool) -> SnapshotMeta | None:
        """Pack, seal and store the profile's essential state (unless unchanged and not
        ``force``); None when nothing was stored."""
        assert self._profile is not None
        async with self._lock:
            try:
                packed = await asyncio.to_thread(
                    files.pack,
                    self._profile,
                    self._wa_url,
                    max_bytes=self._settings.snapshot_max_mb * 1024 * 1024,
                )
            except SnapshotError as exc:
                await self._report(exc.reason, exc.detail)
                return None
            except OSError as exc:  # unreadable profile files: counted, the session goes on
                await self._report("pack_failed", str(exc))
                return None
            if not packed.fingerprint or (packed.fingerprint == self._saved and not force):
                return None
            sealed = await asyncio.to_thread(
                seal, self._key, packed.archive, session_id=self._session_id
            )
            try:
                meta = await self._store.save(
                    session_id=self._session_id,
                    sealed=sealed,
                    size_bytes=packed.size_bytes,
                    sha256=sha256_hex(packed.archive),
                    key_id=self._key.key_id,
                    worker_id=self._worker_id,
                    keep=self._settings.snapshot_keep,
                )
            except (PgError, OSError) as exc:
                await self._report("store_failed", str(exc))
                return None
            self._saved, self._seen, self.last_saved = packed.fingerprint, None, meta
            self._write_marker(self._profile, meta)
            log.info(
                "session=%s snapshot saved generation=%d bytes=%d stored=%d",
                self._session_id,
                meta.generation,
                meta.size_bytes,
                meta.stored_bytes,
            )
            return meta

    # --- helpers -----------------------------------------------------------------------

    def _write_marker(self, profile: Path, meta: SnapshotMeta) -> None:
        body = json.dumps({"generation": meta.generation, "sha256": meta.sha256})
        tmp = profile / (MARKER + ".tmp")
        try:
            tmp.write_text(body)
            tmp.replace(profile / MARKER)
        except OSError as exc:
            log.warning("session=%s snapshot marker not written: %s", self._session_id, exc)

    async def _report(self, reason: str, detail: str, snapshot_id: int | None = None) -> None:
        """Count every failure; log each (reason, snapshot) once."""
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hincrby(self._failures_key, reason, 1)
                await pipe.execute()
        if (reason, snapshot_id) in self._logged:
            return
        self._logged.add((reason, snapshot_id))
        log.warning(
            "session=%s snapshot failure reason=%s: %s", self._session_id, reason, detail[:300]
        )
