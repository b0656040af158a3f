"""The warm browser's files, without a browser: adoption moves the profile and leaves a
symlink; the sweep removes this host's leftovers only."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from shared.settings import Settings
from worker.browser.warm import WarmBrowser, adopt_dir, is_empty_profile, ready_marker


def test_adoption_moves_the_profile_and_leaves_a_symlink(tmp_path: Path) -> None:
    warm, profile = tmp_path / ".warm-h.w-1-1", tmp_path / "session"
    (warm / "Default").mkdir(parents=True)
    (warm / "Default" / "Preferences").write_text("{}")
    profile.mkdir()
    assert is_empty_profile(profile) and is_empty_profile(tmp_path / "absent")
    assert not is_empty_profile(warm)

    adopt_dir(warm, profile)

    assert not profile.is_symlink() and (profile / "Default" / "Preferences").read_text() == "{}"
    assert warm.is_symlink() and warm.resolve() == profile.resolve()
    (warm / "Default" / "written-later").write_text("x")  # the running browser's old path
    assert (profile / "Default" / "written-later").exists()


def test_the_sweep_takes_this_hosts_leftovers_only(tmp_path: Path) -> None:
    settings = Settings(mode="test", worker_id="w1", profile_dir=tmp_path, warm_browser=True)
    host = socket.gethostname()
    session = tmp_path / "some-session"
    session.mkdir()
    own_link = tmp_path / f".warm-{host}.w1-99-1"
    own_link.symlink_to(session)  # an adopted profile whose browser is gone
    own_dir = tmp_path / f".warm-{host}.w1-99-2"
    own_dir.mkdir()
    ready_marker(own_dir).touch()
    young = tmp_path / f".warm-{host}.w2-5-1"  # another worker of this host, just made
    young.mkdir()
    old = tmp_path / f".warm-{host}.w3-5-1"  # another worker of this host, long gone
    old.mkdir()
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    other_host = tmp_path / ".warm-elsewhere.w1-99-1"  # a shared volume: never ours
    other_host.mkdir()
    os.utime(other_host, (long_ago, long_ago))

    WarmBrowser(settings).sweep()

    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([session.name, young.name, other_host.name])
