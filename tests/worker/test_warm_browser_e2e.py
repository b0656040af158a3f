"""Warm browsers: an idle worker keeps one Chromium started and a new session adopts it (its
profile moves to the session's place); a session that has a profile starts its own browser
after the warm one is gone; never two browsers per worker."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest

from shared import events
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone
from worker.browser import procs
from worker.browser.orphans import processes_using

pytestmark = pytest.mark.e2e


def _browsers(profile_dir: Path) -> list[tuple[int, str]]:
    """Chromium main processes (no ``--type=``) on any profile under ``profile_dir``."""
    found: list[tuple[int, str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        data = [a for a in args if a.startswith(f"--user-data-dir={profile_dir}")]
        if data and not any(a.startswith("--type=") for a in args):
            found.append((int(entry.name), data[0].split("=", 1)[1]))
    # a process the browser has just started shows its parent's command line until it execs
    # (seen: two "browsers" 17 and 37 pids apart): only those no other one started
    pids = {pid for pid, _ in found}
    table = procs.snapshot()
    return [(pid, path) for pid, path in found if not _ancestors(pid, table) & pids]


def _ancestors(pid: int, table: dict[int, procs.ProcInfo]) -> set[int]:
    out: set[int] = set()
    info = table.get(pid)
    while info is not None and info.ppid > 1 and info.ppid not in out:
        out.add(info.ppid)
        info = table.get(info.ppid)
    return out


def _warm_dirs(profile_dir: Path, worker_id: str) -> list[Path]:
    return sorted(profile_dir.glob(f".warm-*.{worker_id}-*"))


async def _warm_ready(stack: Stack, worker_id: str, timeout_s: float = 60) -> Path:
    for _ in range(int(timeout_s * 10)):
        for path in _warm_dirs(stack.profile_dir, worker_id):
            if not path.is_symlink() and processes_using(path, resolve=False):
                return path
        await asyncio.sleep(0.1)
    raise AssertionError(f"no warm browser for {worker_id}\n{stack.logs()}")


async def _sole_browser(stack: Stack) -> tuple[int, str]:
    """The one browser (a second one must still be there after 3 s: not a passing fork)."""
    found = _browsers(stack.profile_dir)
    for _ in range(30):
        if len(found) == 1:
            break
        await asyncio.sleep(0.1)
        found = _browsers(stack.profile_dir)
    assert len(found) == 1, (found, stack.logs())
    return found[0]


async def test_a_new_session_adopts_the_warm_browser_and_a_linked_one_starts_its_own(
    stack: Stack,
) -> None:
    w1 = stack.start_worker("w1", APP_WARM_BROWSER="true")
    warm = await _warm_ready(stack, "w1")
    warm_pid, _ = await _sole_browser(stack)

    session_id: UUID = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    profile = stack.profile_dir / str(session_id)
    # the same Chromium, its profile now the session's (a symlink left where it was)
    assert await _sole_browser(stack) == (warm_pid, str(warm))
    assert profile.is_dir() and not profile.is_symlink() and any(profile.iterdir())
    assert warm.is_symlink() and warm.resolve() == profile.resolve()
    assert processes_using(profile) == processes_using(warm, resolve=False) != []
    assert "warm browser adopted" in w1.output()

    phone = unique_phone()
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready on w1")

    # w1 stops (hand-off); w2, warm too, takes the linked session: its profile has data, so
    # the warm browser goes and the session's own starts on the profile, without a new QR
    w2 = stack.start_worker("w2", APP_WARM_BROWSER="true")
    await _warm_ready(stack, "w2")
    mark = len(stack.tap.seen)
    assert w1.terminate(timeout_s=60) == 0, stack.logs()
    await stack.tap.wait_for(
        lambda e: is_state("ready")(e) and stack.tap.seen.index(e) >= mark, 90, "ready on w2"
    )
    assert not [e for e in stack.tap.seen[mark:] if e.type == "qr"], "a new QR was shown"
    assert (await stack.session_row(session_id)).worker_id == "w2"
    _, used = await _sole_browser(stack)
    assert used == str(profile)
    assert "warm browser not used" in w2.output()
    assert not warm.is_symlink() and not warm.exists(), "w1 left its adopted symlink"
