"""Profile directories: created and proven writable, clear errors otherwise, stale locks removed."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.browser.errors import BrowserError, ProfileDirError
from worker.browser.profile import SINGLETON_FILES, ensure_profile_dir, remove_stale_locks

NOBODY = 65534


def test_creates_the_session_dir_and_is_idempotent(tmp_path: Path) -> None:
    base = tmp_path / "profiles"
    first = ensure_profile_dir(base, "sess-1")
    second = ensure_profile_dir(base, "sess-1")
    assert first == second == base / "sess-1"
    assert first.is_dir()
    assert list(first.iterdir()) == []  # the write probe is gone


@pytest.mark.parametrize("session_id", ["../escape", "a/b", "", ".hidden"])
def test_refuses_session_ids_that_are_not_a_plain_name(tmp_path: Path, session_id: str) -> None:
    with pytest.raises(ProfileDirError) as err:
        ensure_profile_dir(tmp_path, session_id)
    assert err.value.reason == "profile_invalid_session_id"
    assert not (tmp_path / "escape").exists()


def test_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "sess-1").write_text("not a dir")
    with pytest.raises(ProfileDirError) as err:
        ensure_profile_dir(tmp_path, "sess-1")
    assert isinstance(err.value, BrowserError)
    assert err.value.reason == "profile_not_a_directory"
    assert str(tmp_path / "sess-1") in str(err.value)


def test_base_that_is_a_file(tmp_path: Path) -> None:
    base = tmp_path / "profiles"
    base.write_text("oops")
    with pytest.raises(ProfileDirError) as err:
        ensure_profile_dir(base, "sess-1")
    assert err.value.reason == "profile_not_a_directory"
    assert str(base / "sess-1") in str(err.value)


@pytest.fixture
def root_owned_base() -> Iterator[Path]:
    """A root-owned 0755 directory that other users can reach (pytest's tmp_path is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="wagw-profile-test-"))
    base.chmod(0o755)
    yield base
    for child in sorted(base.rglob("*"), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    base.rmdir()


def _as_nobody(base: Path, session_id: str) -> dict[str, str]:
    """Run ensure_profile_dir in a forked child with effective uid/gid 65534; return its outcome."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        outcome: dict[str, str]
        try:
            os.setegid(NOBODY)
            os.seteuid(NOBODY)
            path = ensure_profile_dir(base, session_id)
            outcome = {"ok": str(path)}
        except ProfileDirError as exc:
            outcome = {"reason": exc.reason, "message": str(exc)}
        except BaseException as exc:
            outcome = {"unexpected": repr(exc)}
        os.write(write_end, json.dumps(outcome).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    result: dict[str, str] = json.loads(data)
    return result


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating another uid needs root")
def test_non_root_worker_on_root_owned_volume(root_owned_base: Path) -> None:
    outcome = _as_nobody(root_owned_base, "sess-1")
    assert outcome.get("reason") == "profile_not_writable", outcome
    message = outcome["message"]
    assert str(root_owned_base / "sess-1") in message
    assert f"uid={NOBODY}" in message
    assert f"{root_owned_base} is owned by uid=0 gid=0" in message
    assert f"`chown -R {NOBODY}:{NOBODY} {root_owned_base}`" in message
    assert "PUID/PGID to 0/0" in message


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating another uid needs root")
def test_non_root_worker_on_existing_root_owned_profile(root_owned_base: Path) -> None:
    (root_owned_base / "sess-1").mkdir(mode=0o755)
    outcome = _as_nobody(root_owned_base, "sess-1")
    assert outcome.get("reason") == "profile_not_writable", outcome
    assert f"`chown -R {NOBODY}:{NOBODY} {root_owned_base / 'sess-1'}`" in outcome["message"]


@pytest.mark.skipif(os.geteuid() != 0, reason="simulating another uid needs root")
def test_non_root_worker_on_its_own_dir(root_owned_base: Path) -> None:
    os.chown(root_owned_base, NOBODY, NOBODY)
    assert _as_nobody(root_owned_base, "sess-1") == {"ok": str(root_owned_base / "sess-1")}


def test_remove_stale_locks_deletes_dangling_singleton_symlinks(tmp_path: Path) -> None:
    profile = ensure_profile_dir(tmp_path, "sess-1")
    (profile / "SingletonLock").symlink_to("old-container-host-4242")
    (profile / "SingletonSocket").symlink_to("/tmp/org.chromium.Chromium.gone/SingletonSocket")
    (profile / "SingletonCookie").symlink_to("1234567890")
    (profile / "Default").mkdir()
    (profile / "Default" / "Preferences").write_text("{}")

    assert remove_stale_locks(profile) == list(SINGLETON_FILES)
    assert sorted(p.name for p in profile.iterdir()) == ["Default"]
    assert (profile / "Default" / "Preferences").read_text() == "{}"
    assert remove_stale_locks(profile) == []
