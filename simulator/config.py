"""Page profile, locale, timings and failure injection, set at run time (``/_sim/config``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from simulator.errors import bad_request
from simulator.ids import normalize_phone
from simulator.models import Profile

# JSON (camelCase) name -> dataclass attribute, for the integer timings in milliseconds.
_MS_FIELDS = {
    "qrFirstMs": "qr_first_ms",
    "qrRotateMs": "qr_rotate_ms",
    "loadMs": "load_ms",
    "syncMs": "sync_ms",
    "slowLoadMs": "slow_load_ms",
    "outgoingRowDelayMs": "outgoing_row_delay_ms",
    "linkCodeMs": "link_code_ms",
    "passkeyTimeoutMs": "passkey_timeout_ms",
    "passkeyConfirmMs": "passkey_confirm_ms",
}
_BOOL_FIELDS = {
    "qrNeverAppears": "qr_never_appears",
    "sendFails": "send_fails",
    "passkeyAfterScan": "passkey_after_scan",
}
# JSON name -> (attribute, allowed values)
_CHOICE_FIELDS = {
    "pageProfile": ("page_profile", ("2026", "legacy")),
    "locale": ("locale", ("auto", "en-US", "en-GB", "ru-RU")),
    "bridge": ("bridge", ("on", "off")),
}
_MAX_MS = 3_600_000


@dataclass
class SimConfig:
    """Everything tests tune: real WhatsApp Web timings by default."""

    qr_first_ms: int = 60_000  # the first code lives ~60 s
    qr_rotate_ms: int = 20_000  # later codes ~20 s each
    qr_count: int = 6  # codes shown before the reload button
    load_ms: int = 800  # startup splash before the QR or the app
    sync_ms: int = 1_500  # "Loading your chats [NN%]" after a scan
    slow_load_ms: int = 0  # extra splash time (failure injection)
    qr_never_appears: bool = False  # landing page stays on a spinner
    send_fails: bool = False  # every outgoing message ends as msg-failed
    invalid_numbers: set[str] = field(default_factory=set)  # numbers "not on WhatsApp"
    page_profile: Profile = "2026"  # "2026" (today's page) or "legacy" (the 2023-era page)
    locale: str = "auto"  # times and unread labels: "auto" = the browser's navigator.language
    outgoing_row_delay_ms: int = 0  # a sent message's row shows late (the contact has it at once)
    link_code_ms: int = 180_000  # life of a pairing code ("log in with phone number")
    passkey_after_scan: bool = False  # every scan is followed by the passkey check
    passkey_timeout_ms: int = 600_000  # the page's navigator.credentials.get timeout
    passkey_confirm_ms: int = 120_000  # life of the number to confirm on the phone
    bridge: str = "on"  # "on": each page load installs the WPP stand-in (static/wpp.js); "off": not

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, attr) for name, attr in _MS_FIELDS.items()}
        out["qrCount"] = self.qr_count
        out.update({name: getattr(self, attr) for name, attr in _BOOL_FIELDS.items()})
        out["invalidNumbers"] = sorted(self.invalid_numbers)
        out.update({name: getattr(self, attr) for name, (attr, _) in _CHOICE_FIELDS.items()})
        return out

    def update(self, body: dict[str, Any]) -> None:
        """Apply a partial JSON update; validate everything before changing anything."""
        changes: dict[str, Any] = {}
        for key, value in body.items():
            if key in _MS_FIELDS:
                changes[_MS_FIELDS[key]] = _int(key, value, 0, _MAX_MS)
            elif key == "qrCount":
                changes["qr_count"] = _int(key, value, 1, 100)
            elif key in _BOOL_FIELDS:
                if not isinstance(value, bool):
                    raise bad_request(f"{key} must be true or false", key)
                changes[_BOOL_FIELDS[key]] = value
            elif key == "invalidNumbers":
                if not isinstance(value, list):
                    raise bad_request("invalidNumbers must be a list of phone numbers", key)
                changes["invalid_numbers"] = {normalize_phone(v, key) for v in value}
            elif key in _CHOICE_FIELDS:
                attr, allowed = _CHOICE_FIELDS[key]
                if value not in allowed:
                    raise bad_request(f"{key} must be one of {', '.join(allowed)}", key)
                changes[attr] = value
            else:
                known = ", ".join(
                    [*_MS_FIELDS, "qrCount", *_BOOL_FIELDS, "invalidNumbers", *_CHOICE_FIELDS]
                )
                raise bad_request(f"unknown config field {key!r}; known: {known}", key)
        for attr, value in changes.items():
            setattr(self, attr, value)

    def copy_from(self, other: SimConfig) -> None:
        """Become a copy of ``other`` (used by ``/_sim/reset`` to restore the start-up config)."""
        for f in fields(self):
            value = getattr(other, f.name)
            setattr(self, f.name, set(value) if isinstance(value, set) else value)


def _int(key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad_request(f"{key} must be an integer from {low} to {high}", key)
    return value
