"""Session states (DESIGN §8) and the reason codes that accompany transitions."""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    IDLE = "idle"
    INITIALIZING = "initializing"
    QR = "qr"
    AUTHENTICATED = "authenticated"
    READY = "ready"
    DISCONNECTED = "disconnected"
    CONFLICT = "conflict"
    BLOCKED = "blocked"
    STOPPED = "stopped"


class Reason(StrEnum):
    STARTING = "starting"
    QR_SHOWN = "qr_shown"
    QR_SCANNED = "qr_scanned"
    SYNCED = "synced"
    RESTORED = "restored"  # came back linked from the stored profile, no QR
    NETWORK_LOST = "network_lost"
    NETWORK_RESTORED = "network_restored"
    LOGGED_OUT = "logged_out"
    CONFLICT = "conflict"
    TAKEN_OVER = "taken_over"
    QR_TIMEOUT = "qr_timeout"
    STOPPED_BY_ADMIN = "stopped_by_admin"
    DISCONNECTED_BY_ADMIN = "disconnected_by_admin"
    UNSUPPORTED_BROWSER = "unsupported_browser"
    PROFILE_NOT_WRITABLE = "profile_not_writable"
    BROWSER_START_FAILED = "browser_start_failed"
    REPEATED_FAILURES = "repeated_failures"
    WORKER_RESTART = "worker_restart"
    WORKER_LOST = "worker_lost"


# a message's delivery status only moves forward along this order ('failed' stands apart)
MESSAGE_STATUS_ORDER = ("pending", "sent", "delivered", "read")
