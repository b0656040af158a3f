"""PSS of a process tree from /proc: sums children, tolerates vanished ones, measures Chromium."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from shared.settings import Settings
from tests.support.browsers import private_tempdirs
from worker.browser import procs
from worker.browser.driver import browser_pid, launch, shutdown
from worker.browser.memory import (
    process_tree_pss_by_kind_mb,
    process_tree_pss_mb,
    process_tree_pss_split_mb,
    pss_kib,
)

log = logging.getLogger(__name__)


@pytest.fixture(autouse=True, scope="module")
def private_tmp() -> Iterator[Path]:
    yield from private_tempdirs()


# a child holding ~40 MB of private memory, with a grandchild of its own
_HOLDER = (
    "import subprocess, sys, time\n"
    "buf = bytearray(40 * 1024 * 1024)\n"
    "for i in range(0, len(buf), 4096): buf[i] = 1\n"
    "kid = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print(kid.pid, flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def holder() -> Iterator[tuple[int, int]]:
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    grandchild = int(proc.stdout.readline())
    yield proc.pid, grandchild
    procs.signal_all([grandchild, proc.pid])
    proc.wait()
    proc.stdout.close()


def test_own_process_has_pss() -> None:
    assert pss_kib(os.getpid()) > 1000


def test_tree_includes_descendants(holder: tuple[int, int]) -> None:
    root, grandchild = holder
    assert grandchild in procs.descendants(root)
    alone = pss_kib(root) / 1024
    tree = process_tree_pss_mb(root)
    assert alone >= 40
    assert tree > alone
    assert process_tree_pss_split_mb(root)["anon"] >= 40  # the 40 MB buffer is private
    kinds = process_tree_pss_by_kind_mb(root)
    assert kinds and all(kind.startswith("python") for kind in kinds), kinds


def test_vanished_root_is_zero() -> None:
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert process_tree_pss_mb(proc.pid) == 0.0
    assert pss_kib(proc.pid) == 0


@pytest.mark.e2e
def test_running_chromium_has_measured_pss(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    settings = Settings(mode="test", profile_dir=tmp_path, browser_driver="uc")
    driver = launch(settings, profile)
    try:
        driver.get("data:text/html,<canvas id=c></canvas><p id=done>loaded</p>")
        WebDriverWait(driver, 20).until(lambda d: d.find_element("id", "done").text == "loaded")
        pid = browser_pid(driver)
        assert pid is not None
        deadline = time.monotonic() + 5
        pss = process_tree_pss_mb(pid)
        while pss <= 0 and time.monotonic() < deadline:
            time.sleep(0.05)
            pss = process_tree_pss_mb(pid)
        processes = 1 + len(procs.descendants(pid))
        log.warning("chromium trivial page: pss_mb=%.1f processes=%d", pss, processes)
        assert 20 < pss < 1000
        assert processes >= 3
        # by kind: Chromium's titles are one space-separated string, still read by --type=
        kinds = process_tree_pss_by_kind_mb(pid)
        assert {"browser", "renderer"} <= set(kinds), kinds
        assert all(" " not in kind for kind in kinds), kinds
        # by backing: the binary's pages (file) and the session's own (anon) add up to it
        split = process_tree_pss_split_mb(pid)
        assert split["anon"] > 5 and split["file"] > 5, split
        assert abs(sum(split.values()) - process_tree_pss_mb(pid)) < 0.1 * pss, (split, pss)
    finally:
        shutdown(driver)
    assert process_tree_pss_mb(pid) == 0.0
