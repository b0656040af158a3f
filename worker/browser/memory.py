"""Proportional memory (PSS) of a process tree, read from ``/proc/<pid>/smaps_rollup``.

PSS splits shared pages between the processes sharing them, so summing it over Chromium's processes
gives what one session really costs; RSS would count the shared binary once per process.
"""

from __future__ import annotations

from pathlib import Path

from worker.browser import procs


def pss_kib(pid: int) -> int:
    """PSS of one process in KiB; 0 when it is gone, a zombie or unreadable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def process_tree_pss_mb(root_pid: int) -> float:
    """Summed PSS in MiB of ``root_pid`` and all its descendants (0.0 if the root is gone)."""
    pids = [root_pid, *procs.descendants(root_pid)]
    return sum(pss_kib(pid) for pid in pids) / 1024
