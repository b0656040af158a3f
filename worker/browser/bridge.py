"""The one way the session runtime reaches WhatsApp Web: the ``Bridge`` interface.

Two implementations: ``ModuleBridge`` (wa-js: WhatsApp's own JS modules, events and calls) and
``PageBridge`` (the page objects: rows, clicks and typing); ``bridges.open_bridge`` picks one.
Nothing above ``worker/browser/`` knows which one runs; it reads ``kind`` only to record it.
Dialogs, the conflict modal and the passkey check are UI in both: page objects (``take_over``,
``dismiss``, ``passkey_continue``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar, Protocol

from shared.settings import Settings
from worker.browser import actions
from worker.browser.observed import (
    CatchUp,
    ChatRef,
    Cursor,
    MediaRef,
    Observation,
    ObservedMessage,
    OutgoingFile,
    SendOutcome,
    Target,
)
from worker.browser.poke import Poker
from worker.browser.thread import BrowserThread


class BridgeBroken(Exception):
    """The module bridge stopped working (wa-js gone, changed, or never ready again): the runtime
    replaces it with the page bridge, keeping the session."""


class ChatDirectory(Protocol):
    """The stored chats, as a bridge may need them (a title, or an id, to a chat's ids)."""

    async def by_name(self, name: str) -> ChatRef | None: ...

    async def by_wa_id(self, wa_chat_id: str) -> ChatRef | None: ...


class Bridge(ABC):
    kind: ClassVar[str]
    # ends a long-poll waiting in the page, or makes the next one answer at once
    wake_js: ClassVar[str]

    def __init__(
        self,
        settings: Settings,
        browser: BrowserThread,
        directory: ChatDirectory,
        poker: Poker | None = None,
    ):
        self._settings = settings
        self._browser = browser
        self._directory = directory
        self._poker = poker or Poker(None)
        self._timeout = settings.page_timeout_s

    async def interrupt(self) -> None:
        """A command waits for the page: end the current long-poll now (best effort)."""
        await self._poker.poke(self.wake_js)

    @abstractmethod
    async def watch(self, timeout_s: float) -> Observation:
        """One long-poll: returns when something arrived or ``timeout_s`` passed."""

    @abstractmethod
    async def catch_up(self, cursors: Sequence[Cursor], limit: int) -> CatchUp:
        """What arrived while nobody watched, in the ``limit`` chats with the latest activity."""

    @abstractmethod
    async def send_text(self, target: Target, body: str) -> SendOutcome:
        """Send once; raises ``PageError`` when it could not be sent at all."""

    @abstractmethod
    async def find_sent(self, target: Target, body: str, since: datetime) -> SendOutcome:
        """This text, sent to this target since ``since`` (a redelivered send): its id, or None."""

    @abstractmethod
    async def send_media(self, target: Target, file: OutgoingFile) -> SendOutcome:
        """Send a file once, like ``send_text``; raises ``PageError`` when it could not go."""

    @abstractmethod
    async def find_sent_media(
        self, target: Target, file: OutgoingFile, since: datetime
    ) -> SendOutcome:
        """This file (its kind and caption), sent to this target since ``since``: its id."""

    @abstractmethod
    async def download_media(self, ref: MediaRef) -> bytes:
        """A message's file; raises ``PageError`` when WhatsApp does not give it (now)."""

    @abstractmethod
    async def mark_read(self, wa_chat_id: str) -> list[ObservedMessage]:
        """Mark the chat read on WhatsApp; returns what was read on the way, if anything."""

    @abstractmethod
    async def own_name(self) -> str | None: ...

    @abstractmethod
    async def request_pairing_code(self, phone: str) -> str:
        """A pairing code for ``phone`` (digits); raises ``PageError`` when WhatsApp gives none."""

    @abstractmethod
    async def refresh_qr(self) -> None: ...

    @abstractmethod
    async def logout(self) -> None: ...

    # --- UI, page objects in both bridges --------------------------------------------------

    async def take_over(self) -> bool:
        """Press "Use here" on the conflict modal."""
        return await self._browser.call(actions.take_over)

    async def dismiss(self, label: str) -> bool:
        """Press ``label`` on the topmost popup that has it."""
        return await self._browser.call(actions.press_dialog_button, label)

    async def passkey_continue(self) -> bool:
        """Press Continue on the passkey check: the page asks the browser for the passkey."""
        return await self._browser.call(actions.passkey_continue)
