"""Which files of a Chromium profile hold a WhatsApp session, and packing them into one archive.

Essential: the Local Storage LevelDB, the WhatsApp origin's IndexedDB, the cookie database. Not
caches, history, preferences or Chromium's own logs and locks. A live LevelDB can be copied: it is
crash-safe by design (a copy reads like a database whose process died), so a packing that saw a
file change under it simply tries again.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from worker.snapshots.errors import SnapshotError, SnapshotRefused

PROFILE = Path("Default")
LOCAL_STORAGE = PROFILE / "Local Storage"
INDEXED_DB = PROFILE / "IndexedDB"
COOKIES = (
    PROFILE / "Cookies",
    PROFILE / "Cookies-journal",
    PROFILE / "Network" / "Cookies",
    PROFILE / "Network" / "Cookies-journal",
)
# LevelDB's text log and lock file: rewritten by whoever opens the database, never needed
SKIPPED_NAMES = frozenset({"LOG", "LOG.old", "LOCK"})
PACK_TRIES = 3

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class Packed:
    archive: bytes  # tar, gzip-compressed
    size_bytes: int  # the files, unpacked
    fingerprint: Fingerprint  # what the files looked like when packed


def origin_prefix(wa_url: str) -> str:
    """Chromium names an origin's IndexedDB ``<scheme>_<host>_<port>.indexeddb.*`` (port 0 for the
    scheme's default): the name's start for ``wa_url``, whatever port form Chromium uses."""
    parts = urlsplit(wa_url)
    return f"{parts.scheme}_{parts.hostname or ''}_"


def essential_roots(profile: Path, wa_url: str) -> list[Path]:
    """The files and directories a snapshot holds, relative to ``profile``, that exist now."""
    roots = [LOCAL_STORAGE]
    idb = profile / INDEXED_DB
    if idb.is_dir():
        prefix = origin_prefix(wa_url)
        roots += sorted(
            INDEXED_DB / p.name
            for p in idb.iterdir()
            if p.name.startswith(prefix) and ".indexeddb." in p.name
        )
    roots += COOKIES
    return [r for r in roots if (profile / r).exists()]


def _files(profile: Path, roots: list[Path]) -> list[Path]:
    out: list[Path] = []
    for root in roots:
        full = profile / root
        if full.is_file():
            out.append(root)
            continue
        for dirpath, dirnames, filenames in os.walk(full):
            dirnames.sort()
            rel = Path(dirpath).relative_to(profile)
            out += [rel / f for f in sorted(filenames) if f not in SKIPPED_NAMES]
    return out


def fingerprint(profile: Path, wa_url: str) -> Fingerprint:
    """Name, size and mtime of every essential file: cheap to take, changes when storage does."""
    seen: list[tuple[str, int, int]] = []
    for rel in _files(profile, essential_roots(profile, wa_url)):
        try:
            st = (profile / rel).stat()
        except FileNotFoundError:
            continue  # LevelDB compacted it away meanwhile
        seen.append((str(rel), st.st_size, st.st_mtime_ns))
    return tuple(seen)


def has_state(profile: Path, wa_url: str) -> bool:
    return bool(fingerprint(profile, wa_url))


def pack(profile: Path, wa_url: str, *, max_bytes: int) -> Packed:
    """The essential files as one gzip'd tar; tried again when they changed while being read."""
    for _ in range(PACK_TRIES):
        before = fingerprint(profile, wa_url)
        size = sum(size for _, size, _ in before)
        if size > max_bytes:
            raise SnapshotError("too_large", f"{size} bytes of profile state (max {max_bytes})")
        buf = io.BytesIO()
        try:
            with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
                for name, _, _ in before:
                    tar.add(profile / name, arcname=name, recursive=False)
        except FileNotFoundError:
            continue
        if fingerprint(profile, wa_url) == before:
            return Packed(buf.getvalue(), size, before)
    raise SnapshotError("unstable", f"the profile kept changing over {PACK_TRIES} tries")


def install(archive: bytes, profile: Path, wa_url: str) -> int:
    """Replace the profile's essential state with the archive's; returns the files installed.

    Everything is unpacked into a staging directory first: an archive that turns out truncated
    or unsafe leaves the profile as it was.
    """
    staging = profile / f".snapshot-staging-{uuid.uuid4().hex[:8]}"
    try:
        count = _extract(archive, staging)
        for root in essential_roots(profile, wa_url):
            _remove(profile / root)
        for rel in _top_entries(staging):
            target = profile / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
        return count
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extract(archive: bytes, staging: Path) -> int:
    staging.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            members = tar.getmembers()
            for m in members:
                _check_member(m)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SnapshotRefused("unpack_failed", f"{type(exc).__name__}: {exc}") from exc
    return len(members)


def _check_member(member: tarfile.TarInfo) -> None:
    path = Path(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or not _under_essential(path)
    ):
        raise SnapshotRefused("unpack_failed", f"unexpected archive entry {member.name[:80]!r}")


def _under_essential(path: Path) -> bool:
    return (
        path.is_relative_to(LOCAL_STORAGE)
        or (path.is_relative_to(INDEXED_DB) and len(path.parts) > len(INDEXED_DB.parts) + 1)
        or path in COOKIES
    )


def _top_entries(staging: Path) -> list[Path]:
    """The staged roots to move into place: Local Storage, each IndexedDB dir, cookie files."""
    out: list[Path] = []
    if (staging / LOCAL_STORAGE).exists():
        out.append(LOCAL_STORAGE)
    if (staging / INDEXED_DB).is_dir():
        out += [INDEXED_DB / p.name for p in sorted((staging / INDEXED_DB).iterdir())]
    out += [c for c in COOKIES if (staging / c).exists()]
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
