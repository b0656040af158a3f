"""WhatsApp's passkey check while a device links, relayed to an admin's own browser.

On the check the worker presses Continue; the page's ``navigator.credentials.get`` waits in the
relay (``browser/passkey_relay.py``); its options go to the admins (``passkey_required``, with a
deadline). An admin's assertion (``passkey_answer``) completes the page's request, a cancel or
the deadline rejects it. WhatsApp then accepts it (a number to confirm on the phone:
``passkey_confirmation``; or the sync starts) or refuses it (the check again: a new request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import ValidationError
from selenium.common.exceptions import WebDriverException

from shared import jobs
from shared.passkeys import RequestOptions
from shared.settings import Settings
from shared.states import Reason, SessionState
from worker.browser.bridge import Bridge
from worker.browser.observed import Screen
from worker.browser.passkey_relay import PageRequest, PasskeyRelay, open_relay
from worker.browser.thread import BrowserThread
from worker.publisher import Publisher

log = logging.getLogger(__name__)

# Continue is pressed again when no request reached the relay this long after a press...
CLICK_RETRY_S = 5.0
# ... and after this many presses the relay is considered broken
MAX_CLICKS = 3
# WhatsApp refusing this many answers in a row ends the attempt
MAX_REJECTIONS = 3
# the number to confirm on the phone is shown about 2 minutes (the page does not say)
CONFIRM_LIFETIME = timedelta(seconds=120)
CANCELLED = ("NotAllowedError", "The passkey check was cancelled by an admin.")
TIMED_OUT = ("NotAllowedError", "Nobody answered the passkey check in time.")
OFF_DETAIL = (
    "WhatsApp asks for a passkey on this computer after linking, and the passkey relay is off "
    "(APP_PASSKEY_RELAY=off). Turn it on, or on the phone remove the passkey of this account "
    "(WhatsApp Settings > Account > Passkeys), then start the session and link it again."
)
BROKEN_DETAIL = (
    "WhatsApp asks for a passkey on this computer after linking, and the passkey relay could "
    "not be installed in the worker's browser (see the worker's log). On the phone, remove the "
    "passkey of this account (WhatsApp Settings > Account > Passkeys), then link again."
)

# what the runtime does when the attempt is over: (state, reason, detail)
Stop = Callable[[SessionState, str, str], Awaitable[None]]


@dataclass
class _Open:
    """The request on the page now, as the admins know it."""

    id: UUID
    page_id: str
    deadline: float  # monotonic
    answered: bool = False
    code: str | None = None
    code_deadline: float | None = None


class PasskeyFlow:
    def __init__(self, settings: Settings, publisher: Publisher, stop: Stop) -> None:
        self._settings = settings
        self._publisher = publisher
        self._stop = stop
        self._relay: PasskeyRelay | None = None
        self._open: _Open | None = None
        self._clicked_at: float | None = None
        self._clicks = 0
        self._rejections = 0

    @property
    def session_id(self) -> UUID:
        return self._publisher.session_id

    async def prepare(self, browser: BrowserThread) -> None:
        """Once the browser runs, before WhatsApp loads: the relay (or none when it is off)."""
        try:
            self._relay = await open_relay(self._settings, browser)
        except WebDriverException as exc:
            log.warning("session=%s passkey relay not installed: %.200s", self.session_id, exc)
        log.info(
            "session=%s passkey_relay=%s",
            self.session_id,
            self._relay.kind if self._relay else "off",
        )

    async def close(self) -> None:
        """The runtime ends: a request still open is over."""
        if self._open is not None:
            await self._publisher.passkey_ended(self._open.id, "failed", "the session ended")
            self._open = None
        if self._relay is not None:
            await self._relay.close()

    # --- what the page shows ----------------------------------------------------------------

    async def on_check(self, bridge: Bridge, alert: str | None) -> None:
        """The passkey check is on screen (once per look)."""
        if self._relay is None:
            detail = OFF_DETAIL if self._settings.passkey_relay == "off" else BROKEN_DETAIL
            await self._stop(SessionState.BLOCKED, Reason.PASSKEY_REQUIRED, detail)
            return
        now = time.monotonic()
        current = self._open
        if current is not None:
            if current.answered and alert:
                await self._rejected(current, alert)
            elif now >= current.deadline:
                await self._expire(current, "nobody answered it in time")
            elif not current.answered and not await self._waiting(current):
                log.info(
                    "session=%s passkey request=%s gone from the page", self.session_id, current.id
                )
                await self._publisher.passkey_ended(current.id, "failed", "the page dropped it")
                self._open = None
            return
        request = await self._relay.pending()
        if request is not None:
            await self._publish(request)
        elif self._clicked_at is None or now - self._clicked_at >= CLICK_RETRY_S:
            await self._press(bridge, now)

    async def on_code(self, code: str | None) -> None:
        """WhatsApp accepted the passkey and shows a number to confirm on the phone."""
        current = self._open
        if current is None or not code:
            return
        now = time.monotonic()
        if current.code != code:
            current.code = code
            current.code_deadline = now + CONFIRM_LIFETIME.total_seconds()
            expires = datetime.now(UTC) + CONFIRM_LIFETIME
            if await self._publisher.passkey_confirmation(current.id, code, expires):
                await self._publisher.transition(
                    SessionState.PASSKEY_CONFIRMATION, Reason.PASSKEY_VERIFIED
                )
        elif current.code_deadline is not None and now >= current.code_deadline:
            await self._expire(current, "nobody confirmed the number on the phone in time")

    async def on_screen(self, screen: Screen) -> None:
        """Any other screen: an open request is over (linked, or back to the QR code)."""
        current = self._open
        if current is None or screen in (Screen.LOADING, Screen.UNKNOWN):
            return
        if screen in (Screen.SYNCING, Screen.READY):
            await self._publisher.passkey_ended(current.id, "done", "linked")
        else:
            await self._publisher.passkey_ended(current.id, "failed", f"the page went to {screen}")
        self._open = None
        self._reset()

    # --- commands ---------------------------------------------------------------------------

    async def answer(self, job: jobs.PasskeyAnswer) -> str:
        """Hand an admin's assertion to the page's request (the gateway let it through once)."""
        current = self._open
        if self._relay is None or current is None or current.id != job.request_id:
            return "stale: not the request on the page"
        if current.answered:
            return "answered already"
        response = job.credential.model_dump_json(by_alias=True, exclude_none=True)
        if not await self._relay.complete(current.page_id, response):
            await self._publisher.passkey_ended(current.id, "failed", "the page dropped it")
            self._open = None
            return "gone: the page's request had ended"
        current.answered = True
        log.info("session=%s passkey request=%s answered on the page", self.session_id, current.id)
        return "handed to the page"

    async def cancel(self, job: jobs.PasskeyCancel) -> str:
        """An admin cancelled the check: the page's request is rejected, the attempt is over."""
        current = self._open
        if current is None or current.id != job.request_id:
            return "stale: not the request on the page"
        if await self._end_page_request(current, *CANCELLED):
            log.info(
                "session=%s passkey request=%s cancelled on the page", self.session_id, current.id
            )
        self._open = None
        await self._stop(
            SessionState.STOPPED,
            Reason.PASSKEY_CANCELLED,
            "An admin cancelled WhatsApp's passkey check; press Connect to link again.",
        )
        return "cancelled"

    # --- steps ------------------------------------------------------------------------------

    async def _press(self, bridge: Bridge, now: float) -> None:
        if self._clicks >= MAX_CLICKS:
            await self._stop(
                SessionState.BLOCKED,
                Reason.PASSKEY_RELAY_FAILED,
                f"WhatsApp's passkey request never reached the relay ({self._relay_kind()})"
                f" after {MAX_CLICKS} presses of Continue.",
            )
            return
        pressed = await bridge.passkey_continue()
        self._clicked_at, self._clicks = now, self._clicks + 1
        log.info("session=%s passkey check: Continue pressed=%s", self.session_id, pressed)

    async def _publish(self, request: PageRequest) -> None:
        try:
            options = RequestOptions.from_page(request.details)
        except ValidationError as exc:
            log.warning("session=%s passkey options unreadable: %s", self.session_id, exc)
            await self._relay_cancel(request.page_id, "NotSupportedError", "unreadable options")
            return
        wait_s = self._settings.passkey_wait_s
        if options.timeout:
            wait_s = min(wait_s, options.timeout / 1000)
        origin = request.origin or _origin(self._settings.wa_url)
        expires = datetime.now(UTC) + timedelta(seconds=wait_s)
        request_id = await self._publisher.passkey_required(options, origin, expires)
        self._open = _Open(request_id, request.page_id, time.monotonic() + wait_s)
        reason = Reason.PASSKEY_REJECTED if self._rejections else Reason.PASSKEY_REQUIRED
        await self._publisher.transition(SessionState.PASSKEY_REQUIRED, reason)
        log.info(
            "session=%s passkey request=%s published wait_s=%.0f relay=%s",
            self.session_id,
            request_id,
            wait_s,
            self._relay_kind(),
        )

    async def _waiting(self, current: _Open) -> bool:
        assert self._relay is not None
        request = await self._relay.pending()
        return request is not None and request.page_id == current.page_id

    async def _rejected(self, current: _Open, alert: str) -> None:
        """WhatsApp did not accept the assertion: the check shows again, with an alert."""
        self._open = None
        self._rejections += 1
        await self._publisher.passkey_ended(current.id, "rejected", alert[:200])
        log.warning(
            "session=%s passkey request=%s refused by WhatsApp (%d): %.40r",
            self.session_id,
            current.id,
            self._rejections,
            alert,
        )
        if self._rejections >= MAX_REJECTIONS:
            await self._stop(
                SessionState.STOPPED,
                Reason.PASSKEY_REJECTED,
                f"WhatsApp refused the passkey {self._rejections} times; press Connect to retry.",
            )
            return
        self._clicked_at, self._clicks = None, 0  # the next look presses Continue again

    async def _expire(self, current: _Open, why: str) -> None:
        await self._end_page_request(current, *TIMED_OUT)
        await self._publisher.passkey_ended(current.id, "expired", why)
        self._open = None
        await self._stop(
            SessionState.STOPPED,
            Reason.PASSKEY_TIMEOUT,
            f"WhatsApp's passkey check timed out: {why}. Press Connect to link again.",
        )

    async def _end_page_request(self, current: _Open, name: str, message: str) -> bool:
        """Reject the page's request (an answered one is WhatsApp's now); True when it was."""
        return not current.answered and await self._relay_cancel(current.page_id, name, message)

    async def _relay_cancel(self, page_id: str, name: str, message: str) -> bool:
        if self._relay is not None and await self._relay.cancel(page_id, name, message):
            return True
        log.info("session=%s passkey request on the page was gone already", self.session_id)
        return False

    def _reset(self) -> None:
        self._clicked_at, self._clicks, self._rejections = None, 0, 0

    def _relay_kind(self) -> str:
        return self._relay.kind if self._relay else "off"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
