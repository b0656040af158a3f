"""Kill browsers left running on a profile by a worker that crashed (kill -9, OOM).

Only the lease holder calls this, right before it launches: two Chromiums on one profile would
fight over its files and the new one would come up logged out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from pathlib import Path

log = logging.getLogger(__name__)

_PROC = Path("/proc")


def processes_using(profile: Path, *, resolve: bool = True) -> list[int]:
    """Pids whose command line carries ``--user-data-dir=<profile>``; with ``resolve`` also a
    path that leads there through a symlink (a warm browser's profile adopted by the session,
    worker/browser/warm.py)."""
    flag = f"--user-data-dir={profile}".encode()
    real = os.path.realpath(profile) if resolve else None
    found: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if flag in args or (real is not None and _leads_to(args, real)):
            found.append(int(entry.name))
    return found


def _leads_to(args: list[bytes], real: str) -> bool:
    for arg in args:
        if arg.startswith(b"--user-data-dir="):
            path = arg.split(b"=", 1)[1].decode(errors="replace")
            return os.path.islink(path) and os.path.realpath(path) == real
    return False


def kill_orphans(profile: Path, wait_s: float = 5.0) -> list[int]:
    """SIGKILL every process still using ``profile``; wait until they are gone. Never raises."""
    pids = processes_using(profile)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_s
    while pids and time.monotonic() < deadline and processes_using(profile):
        time.sleep(0.05)
    if pids:
        log.warning("profile=%s killed orphaned browser pids=%s", profile, pids)
    return pids
