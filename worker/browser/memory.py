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


def _kind(pid: int) -> str:
    """A Chromium process's ``--type`` (renderer, gpu-process, utility, zygote...), ``browser``
    for the main one, or the program's name for anything else (chromedriver, Python)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    for arg in args:
        if arg.startswith(b"--type="):
            return arg.removeprefix(b"--type=").decode(errors="replace")
    name = Path(args[0].decode(errors="replace")).name if args and args[0] else "?"
    return "browser" if "chrom" in name and "driver" not in name else name


def process_tree_pss_by_kind_mb(root_pid: int) -> dict[str, float]:
    """``process_tree_pss_mb`` split by process kind (what grows: the page, or the browser)."""
    out: dict[str, float] = {}
    for pid in [root_pid, *procs.descendants(root_pid)]:
        kind = _kind(pid)
        out[kind] = out.get(kind, 0.0) + pss_kib(pid) / 1024
    return {kind: round(mb, 1) for kind, mb in sorted(out.items())}
