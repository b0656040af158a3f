"""What a snapshot holds of a Chromium profile, packing it, and installing it into another one."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from worker.snapshots import files
from worker.snapshots.errors import SnapshotError, SnapshotRefused

WA_URL = "http://127.0.0.1:8765"


def make_profile(root: Path, marker: str = "one") -> Path:
    """The layout Chromium 156 writes (measured): Local Storage and the origin's IndexedDB as
    LevelDB directories, cookies as SQLite; plus things a snapshot must leave out."""
    d = root / "Default"
    for rel, body in {
        "Local Storage/leveldb/000003.log": f"ls-{marker}",
        "Local Storage/leveldb/CURRENT": "MANIFEST-000001\n",
        "Local Storage/leveldb/LOG": "text log",
        "Local Storage/leveldb/LOCK": "",
        "IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb/000003.log": f"idb-{marker}",
        "IndexedDB/http_127.0.0.1_8765.indexeddb.blob/1/00/1": "blob",
        "IndexedDB/https_other.example_0.indexeddb.leveldb/000003.log": "another site",
        "Cookies": f"cookies-{marker}",
        "Cache/Cache_Data/data_0": "cache",
        "History": "history",
        "Preferences": "{}",
    }.items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_text(body)
    return root


def test_only_the_whatsapp_origin_storage_and_cookies_are_packed(tmp_path: Path) -> None:
    profile = make_profile(tmp_path / "a")
    packed = files.pack(profile, WA_URL, max_bytes=10**6)
    with tarfile.open(fileobj=io.BytesIO(packed.archive), mode="r:gz") as tar:
        names = sorted(tar.getnames())
    assert names == [
        "Default/Cookies",
        "Default/IndexedDB/http_127.0.0.1_8765.indexeddb.blob/1/00/1",
        "Default/IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb/000003.log",
        "Default/Local Storage/leveldb/000003.log",
        "Default/Local Storage/leveldb/CURRENT",
    ]
    bodies = ("cookies-one", "blob", "idb-one", "ls-one", "MANIFEST-000001\n")
    assert packed.size_bytes == sum(len(b) for b in bodies)


def test_install_replaces_the_essential_state_and_keeps_the_rest(tmp_path: Path) -> None:
    source = make_profile(tmp_path / "a", "new")
    target = make_profile(tmp_path / "b", "old")
    (target / "Default/IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb/000009.ldb").write_text("x")
    archive = files.pack(source, WA_URL, max_bytes=10**6).archive
    assert files.install(archive, target, WA_URL) == 5
    d = target / "Default"
    assert (d / "Local Storage/leveldb/000003.log").read_text() == "ls-new"
    assert (d / "IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb/000003.log").read_text() == (
        "idb-new"
    )
    # the old database's other files went with it: no mix of two generations
    assert not (d / "IndexedDB/http_127.0.0.1_8765.indexeddb.leveldb/000009.ldb").exists()
    assert (d / "Cookies").read_text() == "cookies-new"
    assert (d / "History").read_text() == "history"  # not ours: untouched
    assert (d / "IndexedDB/https_other.example_0.indexeddb.leveldb/000003.log").exists()
    assert not list(target.glob(".snapshot-staging-*"))
    assert files.fingerprint(target, WA_URL) != ()


def test_install_into_an_empty_profile(tmp_path: Path) -> None:
    archive = files.pack(make_profile(tmp_path / "a"), WA_URL, max_bytes=10**6).archive
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not files.has_state(empty, WA_URL)
    files.install(archive, empty, WA_URL)
    assert files.has_state(empty, WA_URL)
    assert (empty / "Default/Cookies").read_text() == "cookies-one"


def test_a_truncated_archive_is_refused_and_leaves_the_profile_alone(tmp_path: Path) -> None:
    archive = files.pack(make_profile(tmp_path / "a", "new"), WA_URL, max_bytes=10**6).archive
    target = make_profile(tmp_path / "b", "old")
    before = files.fingerprint(target, WA_URL)
    with pytest.raises(SnapshotRefused) as caught:
        files.install(archive[: len(archive) // 2], target, WA_URL)
    assert caught.value.reason == "unpack_failed"
    assert files.fingerprint(target, WA_URL) == before
    assert not list(target.glob(".snapshot-staging-*"))


@pytest.mark.parametrize(
    "name", ["../escape", "/etc/passwd", "Default/Preferences", "Default/IndexedDB/x"]
)
def test_entries_outside_the_essential_paths_are_refused(tmp_path: Path, name: str) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(SnapshotRefused, match="unexpected archive entry"):
        files.install(buf.getvalue(), target, WA_URL)
    assert not (tmp_path / "escape").exists()


def test_a_symlink_entry_is_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("Default/Cookies")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/shadow"
        tar.addfile(info)
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(SnapshotRefused):
        files.install(buf.getvalue(), target, WA_URL)


def test_too_large_is_not_packed(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError) as caught:
        files.pack(make_profile(tmp_path / "a"), WA_URL, max_bytes=10)
    assert caught.value.reason == "too_large"


def test_fingerprint_follows_storage_changes_only(tmp_path: Path) -> None:
    profile = make_profile(tmp_path / "a")
    first = files.fingerprint(profile, WA_URL)
    (profile / "Default/History").write_text("more history")
    (profile / "Default/Local Storage/leveldb/LOG").write_text("more log")
    assert files.fingerprint(profile, WA_URL) == first
    (profile / "Default/Local Storage/leveldb/000003.log").write_text("ls-two, longer")
    assert files.fingerprint(profile, WA_URL) != first


def test_origin_prefix() -> None:
    assert files.origin_prefix("https://web.whatsapp.com") == "https_web.whatsapp.com_"
    assert files.origin_prefix("http://127.0.0.1:8765/x") == "http_127.0.0.1_"
