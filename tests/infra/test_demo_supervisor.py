"""The demo's supervision (infra/scripts/supervise.sh): a process that exits is brought back,
the others keep running, and stopping stops them all; with two real workers, kill -9 of the
session's holder moves the session to the other worker without a QR, and the dead worker
rejoins."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import events
from tests.support.databases import NAMES
from tests.support.events import is_state, of_type
from tests.support.procs import ROOT
from tests.support.stack import Stack, unique_phone

SUPERVISE = ROOT / "infra" / "scripts" / "supervise.sh"


class Supervisor:
    """``supervise.sh`` running the given processes, its terminal output read line by line."""

    def __init__(self, programs: dict[str, list[str]], log_dir: Path) -> None:
        starts = "\n".join(f"sup_start {n} {shlex.join(cmd)}" for n, cmd in programs.items())
        pids = " ".join(f"{n}=$(sup_pid {n})" for n in programs)
        script = f"""
set -euo pipefail
source {shlex.quote(str(SUPERVISE))}
SUP_LOG_DIR={shlex.quote(str(log_dir))}
trap 'sup_stop_all; exit 0' TERM
{starts}
echo "started {pids}"
sup_watch
"""
        self.popen = subprocess.Popen(
            ["bash", "-c", script],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []

    def next_line(self, starting: str, timeout_s: float) -> str:
        assert self.popen.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.popen.stdout.readline().strip()
            self.lines.append(line)
            if line.split(" ", 1)[-1].startswith(starting) or line.startswith(starting):
                return line
        raise AssertionError(f"no {starting!r} line in {self.lines}")

    def started(self) -> dict[str, int]:
        line = self.next_line("started", 10)
        return {k: int(v) for k, v in (p.split("=") for p in line.split()[1:])}

    def stop(self) -> None:
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)


@contextlib.contextmanager
def supervised(programs: dict[str, list[str]], log_dir: Path) -> Iterator[Supervisor]:
    sup = Supervisor(programs, log_dir)
    try:
        yield sup
    finally:
        sup.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _status(pid)


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return "zombie"


def test_an_exited_process_is_brought_back_and_stop_stops_all(tmp_path: Path) -> None:
    programs = {"a": ["sleep", "600"], "b": ["sleep", "600"]}
    with supervised(programs, tmp_path) as sup:
        pids = sup.started()
        os.kill(pids["a"], signal.SIGKILL)
        back = sup.next_line("a is back", 30)
        exited = [line for line in sup.lines if "a exited" in line]
        assert exited and exited[0].endswith("a exited (code 137), restarting in 1s"), sup.lines
        new_a = int(back.rsplit("pid ", 1)[1].rstrip(")"))
        assert new_a != pids["a"], sup.lines
        assert _alive(new_a) and _alive(pids["b"]), (sup.lines, _status(new_a), _status(pids["b"]))
    assert sup.popen.returncode == 0, sup.lines
    assert not _alive(new_a) and not _alive(pids["b"]), sup.lines


@pytest.mark.e2e
async def test_kill9_of_the_holder_moves_the_session_and_the_worker_comes_back(
    stack: Stack, tmp_path: Path
) -> None:
    programs = {}
    for i in (1, 2):
        env = stack.worker_env(f"demo-worker-{i}", APP_HOST_LABEL=f"demo-host-{i}")
        programs[f"worker-{i}"] = [
            "env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "worker",
        ]  # fmt: skip
    with supervised(programs, tmp_path) as sup:
        pids = await asyncio.to_thread(sup.started)
        session_id = await stack.new_session()
        qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
        assert isinstance(qr, events.QrEvent)
        await stack.sim.link(qr.data.qr_raw, unique_phone(), "Shop")
        await stack.tap.wait_for(is_state("ready"), 60, "ready")
        # a kill within seconds of the link may lose it (Chromium writes Local Storage late, a
        # documented limit): the holder dies once the link is on disk
        await stack.wait_snapshot(session_id)
        held = await stack.session_row(session_id)
        holder = held.worker_id
        assert holder is not None
        name = "worker-" + holder.rsplit("-", 1)[1]
        mark = len(stack.tap.seen)
        os.kill(pids[name], signal.SIGKILL)
        await stack.tap.wait_for(
            lambda e: is_state("ready", "restored")(e) and stack.tap.seen.index(e) >= mark,
            60,
            "ready again after the kill",
        )
        # the other worker, or the killed one back under its old id (the supervisor restarts it
        # within a second, before the lease runs out): either way a new claim, not the dead one's
        moved = await stack.session_row(session_id)
        assert moved.worker_id is not None
        assert moved.fence > held.fence, (held.fence, moved.fence)
        assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
        back = await asyncio.to_thread(sup.next_line, f"{name} is back", 30)
        new_pid = int(back.rsplit("pid ", 1)[1].rstrip(")"))
        for _ in range(100):  # the same worker id beats again, from its new process
            beat = await stack.redis.hget(NAMES.worker_key(holder), "pid")  # type: ignore[misc]
            if beat == str(new_pid).encode():
                break
            await asyncio.sleep(0.2)
        assert beat == str(new_pid).encode(), sup.lines
