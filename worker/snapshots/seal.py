"""Snapshots at rest: AES-256-GCM with a key derived from APP_SNAPSHOT_KEY, bound to the session.

Sealed form: ``b"WGS1" + nonce(12) + ciphertext+tag``. The session id is the associated data, so a
snapshot copied onto another session's row does not open. The archive's sha256 (taken before
sealing, checked after opening) catches what the tag cannot: a row whose bytes and hash disagree.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from worker.snapshots.errors import SnapshotRefused

MAGIC = b"WGS1"
NONCE_BYTES = 12
_INFO = b"wagateway profile snapshot v1"


@dataclass(frozen=True, slots=True)
class SnapshotKey:
    raw: bytes
    key_id: str  # names the key without revealing it (a snapshot sealed by another key says so)

    @classmethod
    def derive(cls, secret: str) -> SnapshotKey:
        raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        return cls(raw, hashlib.sha256(b"key-id:" + raw).hexdigest()[:16])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(key: SnapshotKey, archive: bytes, *, session_id: UUID) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key.raw).encrypt(nonce, archive, session_id.bytes)


def open_sealed(
    key: SnapshotKey, sealed: bytes, *, session_id: UUID, key_id: str, sha256: str
) -> bytes:
    """The archive inside ``sealed``, or SnapshotRefused naming why not."""
    if key_id != key.key_id:
        raise SnapshotRefused("key_mismatch", f"sealed with key {key_id}, this worker has another")
    head = len(MAGIC) + NONCE_BYTES
    if len(sealed) <= head + 16 or not sealed.startswith(MAGIC):
        raise SnapshotRefused("truncated", f"{len(sealed)} bytes, not a sealed snapshot")
    try:
        archive = AESGCM(key.raw).decrypt(
            sealed[len(MAGIC) : head], sealed[head:], session_id.bytes
        )
    except InvalidTag:
        raise SnapshotRefused("decrypt_failed", "authentication tag mismatch") from None
    if sha256_hex(archive) != sha256:
        raise SnapshotRefused("hash_mismatch", "the archive's sha256 differs from the recorded one")
    return archive
