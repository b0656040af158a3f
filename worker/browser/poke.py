"""Ending the page's long-poll early when a command waits for the page.

WebDriver runs one command at a time per browser: while the long-poll waits inside the page, a
send would wait for it. The poke reaches the same page over Chromium's own DevTools socket
(``devtools.py``) and wakes the waiting script, so the command runs at once. Only an
optimisation: when it cannot reach the page, commands wait for the poll as before.
"""

from __future__ import annotations

import logging

from worker.browser.devtools import DevToolsError, DevToolsTarget, debugger_address, is_page

log = logging.getLogger(__name__)

POKE_TIMEOUT_S = 1.0

__all__ = ["Poker", "debugger_address"]


class Poker:
    def __init__(self, address: str | None) -> None:
        self._page = DevToolsTarget(address, is_page, POKE_TIMEOUT_S)  # the only tab
        self._address = address

    async def poke(self, expression: str) -> bool:
        """Evaluate ``expression`` in the page; False when the page could not be reached."""
        if self._address is None:
            return False
        try:
            await self._page.evaluate(expression)
        except DevToolsError as exc:
            log.debug("poke failed: %s", exc)
            return False
        return True

    async def close(self) -> None:
        await self._page.close()
