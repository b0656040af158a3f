"""Temp dirs named after the process that made them, and the sweep of ones left by killed workers.

A worker killed with SIGKILL (OOM, ``kill -9``) cannot clean up; the next worker in the same
container removes what it left (a chromedriver copy is ~25 MB, and may still be running).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from worker.browser import procs

log = logging.getLogger(__name__)

LAUNCH_PREFIX = "wagw-chromium-"
DRIVER_PREFIX = "wagw-chromedriver-"
ROOT: Path | None = None  # None: the system temp dir (tests point it at a private one)

_lock = threading.Lock()
_swept = False


def make(prefix: str) -> Path:
    """A new private temp dir ``<prefix><pid>-<random>``."""
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=ROOT))


def sweep_stale(root: Path | None = None) -> list[Path]:
    """Delete temp dirs of ours whose creating process is gone; returns what was removed.

    A chromedriver still running from such a dir is an orphan of the dead worker: it is killed.
    """
    stale: list[Path] = []
    for entry in (root or ROOT or Path(tempfile.gettempdir())).iterdir():
        for prefix in (LAUNCH_PREFIX, DRIVER_PREFIX):
            if not entry.name.startswith(prefix):
                continue
            pid = entry.name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and not procs.alive(int(pid)) and entry.is_dir():
                stale.append(entry)
    if not stale:
        return []
    inside = tuple(f"{entry}/" for entry in stale)
    orphans = [p for p in procs.snapshot() if (procs.exe_of(p) or "").startswith(inside)]
    procs.signal_all(orphans)
    for entry in stale:
        shutil.rmtree(entry, ignore_errors=True)
    log.info("removed stale browser temp dirs count=%d killed_orphans=%s", len(stale), orphans)
    return stale


def sweep_once() -> None:
    """``sweep_stale`` the first time a process calls it; never raises."""
    global _swept  # noqa: PLW0603 - once per process
    with _lock:
        if _swept:
            return
        _swept = True
    try:
        sweep_stale()
    except OSError as exc:
        log.warning("could not sweep stale browser temp dirs: %s", exc)
