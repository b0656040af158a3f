"""Temp dirs left by killed workers are swept; live processes' dirs are never touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from worker.browser.tempdirs import DRIVER_PREFIX, LAUNCH_PREFIX, sweep_stale


def test_sweep_removes_dirs_of_dead_processes_only(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [tmp_path / f"{LAUNCH_PREFIX}{dead.pid}-abc", tmp_path / f"{DRIVER_PREFIX}{dead.pid}-x"]
    kept = [
        tmp_path / f"{LAUNCH_PREFIX}{os.getpid()}-abc",  # a live process (us)
        tmp_path / f"{LAUNCH_PREFIX}notapid",
        tmp_path / f"unrelated-{dead.pid}-abc",
    ]
    for path in [*stale, *kept]:
        (path / "org.chromium.Chromium.x").mkdir(parents=True)

    assert sorted(sweep_stale(tmp_path)) == sorted(stale)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


def test_sweep_kills_an_orphan_running_from_a_stale_dir(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{DRIVER_PREFIX}{dead.pid}-abc" / "0"
    stale.mkdir(parents=True)
    exe = stale / "chromedriver"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", exe)
    orphan = subprocess.Popen([str(exe), "600"])
    try:
        assert sweep_stale(tmp_path) == [stale.parent]
        assert orphan.wait(10) == -signal.SIGKILL
    finally:
        orphan.kill()
        orphan.wait()
