"""Linux process helpers over ``/proc``: list, signal, wait for and reap Chromium's processes.

Every function tolerates processes vanishing between two reads (normal while Chromium exits).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class ProcInfo:
    """One line of ``/proc/<pid>/stat``, reduced to what the browser layer needs."""

    pid: int
    ppid: int
    pgid: int
    state: str
    comm: str

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")


def read_stat(pid: int) -> ProcInfo | None:
    """The process's stat line, or None when it is gone (or unreadable)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    # comm sits in parentheses and may itself contain spaces or ')': split at the last one
    head, _, tail = raw.rpartition(")")
    fields = tail.split()
    if len(fields) < 3:
        return None
    comm = head.partition("(")[2]
    return ProcInfo(pid=pid, ppid=int(fields[1]), pgid=int(fields[2]), state=fields[0], comm=comm)


def snapshot() -> dict[int, ProcInfo]:
    """Every process visible in ``/proc`` right now."""
    table: dict[int, ProcInfo] = {}
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            info = read_stat(int(entry.name))
            if info is not None:
                table[info.pid] = info
    return table


def descendants(root: int, table: dict[int, ProcInfo] | None = None) -> list[int]:
    """Pids of every live descendant of ``root`` (not ``root`` itself), parents before children."""
    table = snapshot() if table is None else table
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found: list[int] = []
    queue = list(children.get(root, ()))
    while queue:
        pid = queue.pop(0)
        found.append(pid)
        queue.extend(children.get(pid, ()))
    return found


def group_members(pgid: int, table: dict[int, ProcInfo] | None = None) -> list[int]:
    """Pids of the live (non-zombie) processes whose process group is ``pgid``."""
    table = snapshot() if table is None else table
    return [i.pid for i in table.values() if i.pgid == pgid and not i.zombie]


def mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text``."""
    needle = text.encode()
    found: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(entry.name))
    return found


def exe_of(pid: int) -> str | None:
    """Resolved executable path of a live process, None if gone or a zombie."""
    try:
        return os.readlink(_PROC / str(pid) / "exe")
    except OSError:
        return None


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    info = read_stat(pid)
    return info is not None and not info.zombie


def signal_all(pids: Iterable[int], sig: int = signal.SIGKILL) -> None:
    """Send ``sig`` to each pid, ignoring the ones already gone."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def reap(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is a finished child of ours; never blocks."""
    with contextlib.suppress(ChildProcessError):  # not our child, or already reaped
        os.waitpid(pid, os.WNOHANG)


def reap_zombie_children(keep: Callable[[ProcInfo], bool]) -> None:
    """Reap our finished children that ``keep`` selects (orphans are ours when we run as pid 1)."""
    me = os.getpid()
    for info in snapshot().values():
        if info.ppid == me and info.zombie and keep(info):
            reap(info.pid)


def wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until none of ``pids`` is alive (reaping our own zombies); return the survivors."""
    pending = list(pids)
    deadline = time.monotonic() + timeout
    while True:
        for pid in pending:
            reap(pid)
        pending = [pid for pid in pending if alive(pid)]
        if not pending or time.monotonic() >= deadline:
            return pending
        time.sleep(0.02)
