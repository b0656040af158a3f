"""A private, writable copy of chromedriver for undetected-chromedriver, which patches its binary.

uc rewrites the file it is given in place, so it must never see the system one. One copy per process
and source version (uc patches it on the first start, later starts reuse it), deleted at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import threading
from pathlib import Path

from worker.browser import tempdirs

_lock = threading.Lock()
_copies: dict[tuple[str, int, int], Path] = {}
_directory: Path | None = None


def private_copy(source: str) -> Path:
    """Path of this process's writable copy of ``source`` (made on first use)."""
    real = os.path.realpath(source)
    st = os.stat(real)
    key = (real, st.st_size, st.st_mtime_ns)
    with _lock:
        copy = _copies.get(key)
        if copy is not None and copy.is_file():
            return copy
        slot = _cache_dir() / str(len(_copies))
        slot.mkdir(exist_ok=True)
        copy = slot / "chromedriver"
        partial = slot / ".chromedriver.partial"
        shutil.copyfile(real, partial)
        partial.chmod(0o755)
        partial.replace(copy)
        _copies[key] = copy
        return copy


def _cache_dir() -> Path:
    global _directory  # noqa: PLW0603 - one lazily created directory per process
    if _directory is None or not _directory.is_dir():  # also if a tmp cleaner removed it
        _directory = tempdirs.make(tempdirs.DRIVER_PREFIX)
        atexit.register(shutil.rmtree, _directory, True)
    return _directory
