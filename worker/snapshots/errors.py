"""Why a snapshot could not be made or used; ``reason`` is the label operators and /metrics see."""

from __future__ import annotations


class SnapshotError(Exception):
    """A snapshot was not made (too large, the profile kept changing, the store failed)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class SnapshotRefused(SnapshotError):
    """A stored snapshot is unusable: wrong key, failed decryption, hash mismatch, bad archive."""
