"""Errors of the browser layer; each carries a stable ``reason`` code for state events and logs."""

from __future__ import annotations


class BrowserError(Exception):
    """Base of every browser-layer failure; ``reason`` is a short machine-readable code."""

    reason: str = "browser_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ProfileDirError(BrowserError):
    """The session's profile directory cannot be created or written by this process."""

    reason = "profile_not_writable"


class BrowserStartError(BrowserError):
    """Chromium or chromedriver could not be started; nothing of the attempt is left running."""

    reason = "browser_start_failed"


class PageError(Exception):
    """An action on WhatsApp Web could not be done (through the page or the module bridge);
    ``reason`` is a short code for the message status and logs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
