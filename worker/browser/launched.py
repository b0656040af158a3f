"""What one browser launch started (processes, pipes, temp dir), and how to undo all of it.

Used by ``driver``: a start watchdog, and the cleanup run by shutdown and by a failed start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from selenium.webdriver.chrome.service import Service

from shared.settings import DriverKind
from worker.browser import procs
from worker.browser.stderr import StderrTail

log = logging.getLogger(__name__)

EXIT_GRACE_S = 5.0  # Chromium flushes the profile (localStorage) on SIGTERM: give it time
KILL_WAIT_S = 2.0


@dataclass
class Launch:
    """Everything one launch started, so that shutdown (or a failed start) can undo it."""

    kind: DriverKind
    workdir: Path  # Chromium's TMPDIR and XDG_CONFIG_HOME: all its files outside the profile
    chromedriver_exe: str
    browser: subprocess.Popen[bytes] | None = None  # uc: Chromium, started by us
    chromedriver: subprocess.Popen[bytes] | None = None
    chromedriver_pids: set[int] = field(default_factory=set)
    stderr: StderrTail | None = None
    pgid: int | None = None  # uc: Chromium's group; selenium: chromedriver's (Chromium included)
    service: Service | None = None  # selenium: ours, so the watchdog can see chromedriver early
    failure: str | None = None  # set by the start watchdog

    def adopt_browser(self, proc: subprocess.Popen[bytes]) -> None:
        self.browser = proc
        self.pgid = proc.pid
        if proc.stderr is not None:
            self.stderr = StderrTail(proc.stderr, name=f"chromium-{proc.pid}")

    def note_chromedriver(self) -> None:
        """Remember running chromedriver children of ours (uc creates its Service out of reach)."""
        me = os.getpid()
        for info in procs.snapshot().values():
            if info.ppid == me and procs.exe_of(info.pid) == self.chromedriver_exe:
                self.chromedriver_pids.add(info.pid)

    def pids(self) -> list[int]:
        """Live processes of this launch: its process group, chromedriver, crashpad handlers."""
        # crashpad double-forks into its own session; it is found by its database path instead
        found = set(self.chromedriver_pids) | set(procs.mentioning(str(self.workdir)))
        if self.chromedriver is not None:
            found.add(self.chromedriver.pid)
        if self.pgid is not None:
            found.update(procs.group_members(self.pgid))
        return sorted(pid for pid in found if procs.alive(pid))

    def kill(self) -> None:
        procs.signal_all(self.pids(), signal.SIGKILL)

    def adopt_service(self) -> None:
        proc = getattr(self.service, "process", None)
        if isinstance(proc, subprocess.Popen) and self.chromedriver is None:
            self.chromedriver = proc
            self.pgid = proc.pid


def watch(state: Launch, timeout: float, done: threading.Event) -> None:
    """Kill a start that hangs, or whose Chromium died, so the blocked driver call fails fast."""
    deadline = time.monotonic() + timeout
    while not done.wait(0.05):
        if state.kind == "uc":
            state.note_chromedriver()
        else:
            state.adopt_service()
        if state.failure is None:
            code = state.browser.poll() if state.browser is not None else None
            if code is not None:
                state.failure = f"Chromium exited during start with code {code}"
            elif time.monotonic() >= deadline:
                state.failure = f"start timed out after {timeout:g} s (APP_BROWSER_START_TIMEOUT_S)"
        if state.failure is not None:
            # every round until the start gives up: a chromedriver uc starts after Chromium
            # died would otherwise wait the whole timeout for its debugger port
            state.kill()


def cleanup(state: Launch, *, graceful: bool) -> None:
    """Make sure every process of the launch is gone and reaped, then delete its temp files."""
    grace = EXIT_GRACE_S if graceful else 0.0
    if state.browser is not None:
        try:
            state.browser.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning(
                "chromium pid=%d ignored SIGTERM for %gs; killing", state.browser.pid, grace
            )
    survivors = procs.wait_gone(state.pids(), grace)
    procs.signal_all(survivors, signal.SIGKILL)
    procs.signal_all(state.pids(), signal.SIGKILL)  # anything spawned meanwhile
    for proc in (state.browser, state.chromedriver):
        if proc is not None:
            _reap_popen(proc)
    _reap_zombies(state)
    left = procs.wait_gone(state.pids(), KILL_WAIT_S)
    if left:
        log.error("browser processes survived SIGKILL pids=%s", left)
    if state.stderr is not None:
        state.stderr.join(KILL_WAIT_S)
    shutil.rmtree(state.workdir, ignore_errors=True)


def _reap_popen(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.kill()  # no-op once it has exited
        proc.wait(KILL_WAIT_S)
    except (OSError, subprocess.TimeoutExpired):
        log.warning("pid=%d could not be reaped", proc.pid)
    if proc.stdin is not None:  # Selenium gives chromedriver a stdin pipe and never closes it
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _reap_zombies(state: Launch) -> None:
    # uc keeps chromedriver's Popen to itself and a failed start drops it unwaited; Chromium's
    # orphans (renderers, crashpad) are reparented to us when the worker runs as pid 1
    for pid in state.chromedriver_pids:
        procs.reap(pid)
    names = {os.path.basename(state.chromedriver_exe)[:15], "chrome_crashpad"}
    procs.reap_zombie_children(lambda info: info.pgid == state.pgid or info.comm in names)
