"""Proportional memory (PSS) of a process tree, read from ``/proc/<pid>/smaps_rollup``.

PSS splits shared pages between the processes sharing them, so summing it over Chromium's processes
gives what one session really costs; RSS would count the shared binary once per process.
"""

from __future__ import annotations

import re
from pathlib import Path

from worker.browser import procs

_TYPE = re.compile(rb"--type=([a-z-]+)")


def pss_kib(pid: int) -> int:
    """PSS of one process in KiB; 0 when it is gone, a zombie or unreadable."""
    return _rollup_kib(pid).get("Pss", 0)


def _rollup_kib(pid: int) -> dict[str, int]:
    """The ``Pss*`` lines of one process's smaps_rollup, in KiB ({} when unreadable)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    out: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("Pss"):
            name, value = line.split()[:2]
            out[name.rstrip(":")] = int(value)
    return out


def process_tree_pss_split_mb(root_pid: int) -> dict[str, float]:
    """The tree's PSS split by backing: ``anon`` (the session's own heaps), ``file`` (the
    binary, ICU and V8 data, fonts: pages any other Chromium on the host shares) and ``shmem``."""
    totals = {"Pss_Anon": 0, "Pss_File": 0, "Pss_Shmem": 0}
    for pid in [root_pid, *procs.descendants(root_pid)]:
        rollup = _rollup_kib(pid)
        for name in totals:
            totals[name] += rollup.get(name, 0)
    return {name.removeprefix("Pss_").lower(): round(kib / 1024, 1) for name, kib in totals.items()}


def process_tree_pss_mb(root_pid: int) -> float:
    """Summed PSS in MiB of ``root_pid`` and all its descendants (0.0 if the root is gone)."""
    pids = [root_pid, *procs.descendants(root_pid)]
    return sum(pss_kib(pid) for pid in pids) / 1024


def _kind(pid: int) -> str:
    """A Chromium process's ``--type`` (renderer, gpu-process, utility, zygote...), ``browser``
    for the main one, or the program's name for anything else (chromedriver, Python). Chromium
    rewrites its children's command line into one space-separated title, so ``--type=`` is
    looked for anywhere in it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "gone"
    found = _TYPE.search(raw)
    if found:
        kind = found.group(1).decode(errors="replace")
        return "extension" if kind == "renderer" and b"--extension-process" in raw else kind
    first = raw.split(b"\0", 1)[0].split(b" ", 1)[0].decode(errors="replace")
    name = Path(first).name if first else "?"
    return "browser" if "chrom" in name and "driver" not in name else name


def process_tree_pss_by_kind_mb(root_pid: int) -> dict[str, float]:
    """``process_tree_pss_mb`` split by process kind (what grows: the page, or the browser)."""
    out: dict[str, float] = {}
    for pid in [root_pid, *procs.descendants(root_pid)]:
        kind = _kind(pid)
        out[kind] = out.get(kind, 0.0) + pss_kib(pid) / 1024
    return {kind: round(mb, 1) for kind, mb in sorted(out.items())}
