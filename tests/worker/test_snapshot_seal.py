"""Snapshots at rest: AES-GCM bound to the session, the archive's hash checked after opening."""

from __future__ import annotations

import uuid

import pytest

from worker.snapshots.errors import SnapshotRefused
from worker.snapshots.seal import MAGIC, SnapshotKey, open_sealed, seal, sha256_hex

KEY = SnapshotKey.derive("k" * 40)
SID = uuid.uuid4()
ARCHIVE = b"an archive " * 100


def _open(sealed: bytes, **overrides: object) -> bytes:
    args: dict[str, object] = {
        "session_id": SID,
        "key_id": KEY.key_id,
        "sha256": sha256_hex(ARCHIVE),
    }
    args.update(overrides)
    return open_sealed(KEY, sealed, **args)  # type: ignore[arg-type]


def _reason(sealed: bytes, **overrides: object) -> str:
    with pytest.raises(SnapshotRefused) as caught:
        _open(sealed, **overrides)
    return caught.value.reason


def test_round_trip_and_nothing_readable_at_rest() -> None:
    sealed = seal(KEY, ARCHIVE, session_id=SID)
    assert sealed.startswith(MAGIC)
    assert b"an archive" not in sealed
    assert _open(sealed) == ARCHIVE
    assert seal(KEY, ARCHIVE, session_id=SID) != sealed  # a fresh nonce each time


def test_the_key_is_derived_and_named_without_revealing_it() -> None:
    again = SnapshotKey.derive("k" * 40)
    assert (again.raw, again.key_id) == (KEY.raw, KEY.key_id)
    assert len(KEY.raw) == 32
    assert KEY.key_id not in ("k" * 40) and len(KEY.key_id) == 16
    assert SnapshotKey.derive("j" * 40).key_id != KEY.key_id


def test_refusals_name_their_reason() -> None:
    sealed = seal(KEY, ARCHIVE, session_id=SID)
    flipped = bytearray(sealed)
    flipped[-40] ^= 1
    assert _reason(bytes(flipped)) == "decrypt_failed"
    assert _reason(sealed[: len(sealed) - 10]) == "decrypt_failed"
    assert _reason(sealed[:20]) == "truncated"
    assert _reason(b"") == "truncated"
    assert _reason(sealed, session_id=uuid.uuid4()) == "decrypt_failed"  # another session's
    assert _reason(sealed, sha256="0" * 64) == "hash_mismatch"
    assert _reason(sealed, key_id="another") == "key_mismatch"
