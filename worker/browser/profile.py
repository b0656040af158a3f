"""The per-session Chromium profile directory: create it, prove it is writable, clear stale locks.

The profile holds WhatsApp's localStorage/IndexedDB, i.e. the device link: it must survive restarts.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import tempfile
from pathlib import Path

from worker.browser.errors import ProfileDirError

log = logging.getLogger(__name__)

# Chromium's single-instance markers; symlinks, usually dangling once their process is gone
SINGLETON_FILES = ("SingletonLock", "SingletonSocket", "SingletonCookie")
# entries Chromium rewrites on every start; a leftover owned by another uid breaks it silently
_REWRITTEN = ("Default", "Local State")
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def ensure_profile_dir(base: Path, session_id: str) -> Path:
    """Create ``<base>/<session_id>`` if needed and prove this process can write in it."""
    if not _SESSION_ID.fullmatch(session_id):
        raise ProfileDirError(
            f"session id {session_id!r} cannot be used as a profile directory name",
            reason="profile_invalid_session_id",
        )
    path = base / session_id
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:  # the path, or one of its parents, is a file
        raise _not_a_directory(path) from exc
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise _not_a_directory(path) from exc
        raise _not_writable(path, exc.strerror or str(exc), exc.errno) from exc
    _check_writable(path)
    for name in _REWRITTEN:
        entry = path / name
        if entry.exists() and not os.access(entry, os.W_OK, effective_ids=True):
            raise _not_writable(entry, "left over by another user", errno.EACCES)
    return path


def remove_stale_locks(profile: Path) -> list[str]:
    """Delete Chromium's ``Singleton*`` markers; only the holder of the session lease may call this.

    A profile last used in another container (other hostname) or by a killed Chromium still carries
    them, and Chromium then refuses the profile as "in use by another computer".
    Returns the names removed.
    """
    removed: list[str] = []
    for name in SINGLETON_FILES:
        try:
            (profile / name).unlink()  # unlink does not follow the (possibly dangling) symlink
        except FileNotFoundError:
            continue
        removed.append(name)
    if removed:
        log.info("profile=%s removed_stale_locks=%s", profile, ",".join(removed))
    return removed


def _check_writable(path: Path) -> None:
    # root passes every mode check and a read-only mount passes os.access, so probe for real too
    if not os.access(path, os.W_OK | os.X_OK, effective_ids=True):
        raise _not_writable(path, "permission denied", errno.EACCES)
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise _not_a_directory(path) from exc
        raise _not_writable(path, exc.strerror or str(exc), exc.errno) from exc


def _not_a_directory(path: Path) -> ProfileDirError:
    return ProfileDirError(
        f"profile directory {path} (or one of its parents) exists but is not a directory; "
        f"remove the file or point APP_PROFILE_DIR at a directory",
        reason="profile_not_a_directory",
    )


def _not_writable(path: Path, why: str, code: int | None) -> ProfileDirError:
    uid, gid = os.geteuid(), os.getegid()
    existing, owner_uid, owner_gid = _nearest_existing(path)
    if code == errno.EROFS:
        fix = "mount the profile volume read-write"
    else:
        fix = (
            f"on the host run `chown -R {uid}:{gid} {existing}`, or set PUID/PGID to "
            f"{owner_uid}/{owner_gid} so the worker runs as the volume owner"
        )
    return ProfileDirError(
        f"profile directory {path} is not writable by uid={uid} gid={gid}: {why} "
        f"({existing} is owned by uid={owner_uid} gid={owner_gid}). Fix: {fix}",
        reason="profile_not_writable",
    )


def _nearest_existing(path: Path) -> tuple[Path, int | str, int | str]:
    for candidate in (path, *path.parents):
        try:
            st = candidate.stat()
        except OSError:
            continue
        return candidate, st.st_uid, st.st_gid
    return path, "?", "?"
