"""Session states (DESIGN §8) and the reason codes that accompany transitions."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


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
    # WhatsApp's passkey check while linking: the page waits for an admin's passkey (relayed from
    # the admin's own browser), then for the code shown on the page to be matched on the phone
    PASSKEY_REQUIRED = "passkey_required"
    PASSKEY_CONFIRMATION = "passkey_confirmation"


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
    # idle: the session should run but every worker is busy (or on a draining host)
    WAITING_FOR_WORKER = "waiting_for_worker"
    # the 2026 page
    PAIRING_CODE = "pairing_code"  # state qr: a pairing code is on screen instead of the QR
    UNKNOWN_DIALOG = "unknown_dialog"  # blocked: a dialog we do not know blocks the page
    # the passkey check: state passkey_required (or blocked when APP_PASSKEY_RELAY=off)
    PASSKEY_REQUIRED = "passkey_required"
    PASSKEY_REJECTED = "passkey_rejected"  # WhatsApp refused the answer: a new request follows
    PASSKEY_VERIFIED = "passkey_verified"  # state passkey_confirmation: a code to match
    PASSKEY_TIMEOUT = "passkey_timeout"  # stopped: nobody answered before the deadline
    PASSKEY_CANCELLED = "passkey_cancelled"  # stopped: an admin cancelled the check
    PASSKEY_RELAY_FAILED = "passkey_relay_failed"  # blocked: the page's request never reached us
    # the module bridge (APP_BRIDGE=module): wa-js missing, or WPP never got ready on the page
    BRIDGE_UNAVAILABLE = "bridge_unavailable"


# a message's delivery status only moves forward along this order ('failed' stands apart);
# 'unconfirmed' = typed and sent on the page, its row not seen yet (never re-sent automatically)
MESSAGE_STATUS_ORDER = ("pending", "unconfirmed", "sent", "delivered", "read")
MessageStatus = Literal["pending", "unconfirmed", "sent", "delivered", "read", "failed"]
