"""CPU time per request, split between the gateway and Postgres, while wrk runs (``/proc``).

On a machine whose cores are shared by wrk, the gateway and Postgres, requests per second say
how the three shared the cores; CPU milliseconds per request say what each request costs each of
them, which is what a change to the gateway or its queries moves."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from worker.browser import procs

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User and system CPU of one process, seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime


def _postgres_cpu_s() -> dict[int, float]:
    return {p.pid: _cpu_s(p.pid) for p in procs.snapshot().values() if p.comm == "postgres"}


def cpu_split(gateway_pid: int, run: Callable[[], float], seconds: float) -> dict[str, float]:
    """Run ``run`` (wrk: requests per second over ``seconds``) and give the CPU milliseconds per
    request of the gateway and of all Postgres processes (the machine's: its other work counts)."""
    gw0, pg0 = _cpu_s(gateway_pid), _postgres_cpu_s()
    rps = run()
    gw1, pg1 = _cpu_s(gateway_pid), _postgres_cpu_s()
    requests = rps * seconds
    pg = sum(t - pg0.get(pid, 0.0) for pid, t in pg1.items())
    return {
        "gateway_cpu_ms_per_request": round((gw1 - gw0) * 1000 / requests, 3),
        "postgres_cpu_ms_per_request": round(pg * 1000 / requests, 3),
        "rps": round(rps),
    }
