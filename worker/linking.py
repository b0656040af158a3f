"""Linking with a phone number instead of the QR: ask WhatsApp for a pairing code, store and
publish it, follow it on screen, and clear it when it is used or expires."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from shared.states import Reason, SessionState
from worker.browser.bridge import Bridge
from worker.browser.errors import PageError
from worker.publisher import Publisher

log = logging.getLogger(__name__)

# a pairing code is valid about 3 minutes (the page does not say)
PAIRING_CODE_LIFETIME = timedelta(seconds=180)


class Linking:
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._shown: tuple[str, str] | None = None  # (code, phone) on screen
        self.used = False  # a code was shown in this run (a link that follows is a "scan")

    async def request(self, bridge: Bridge, phone: str) -> str:
        """Not linked yet (under the page lock): ask for a code for ``phone``; the state stays
        ``qr`` with reason ``pairing_code``. Returns what happened, for the job result."""
        try:
            code = await bridge.request_pairing_code(phone)
        except PageError as exc:
            log.warning("session=%s pairing code not shown: %s", self._publisher.session_id, exc)
            return f"{exc.reason}: {exc}"
        await self._show(code, phone)
        return "code shown"

    async def on_code_screen(self, code: str) -> None:
        """The page shows a pairing code: publish it if it is new."""
        if self._shown is None or self._shown[0] != code:
            await self._show(code, self._shown[1] if self._shown else "")
        await self._publisher.transition(SessionState.QR, Reason.PAIRING_CODE)

    async def _show(self, code: str, phone: str) -> None:
        self._shown, self.used = (code, phone), True
        expires = datetime.now(UTC) + PAIRING_CODE_LIFETIME
        await self._publisher.pairing_code(code, phone, expires)
        await self._publisher.transition(SessionState.QR, Reason.PAIRING_CODE)

    async def on_qr_screen(self) -> None:
        """Back on the QR (the code expired or was abandoned): it is no longer valid."""
        if self._shown is not None:
            self._shown = None
            await self._publisher.clear_pairing_code()

    def linked(self) -> None:
        self._shown = None
