"""The module bridge: WhatsApp Web driven through wa-js (``WPP.*``) by ``js/module/bridge.js``.

Events queue up inside the page and one long-poll drains them; sends, catch-ups, pairing codes and
logouts are ``WPP`` calls (no navigation, no chat opened). What the UI shows in any case (dialogs,
the conflict modal, the passkey check) is read by the page objects in the same long-poll. When wa-js
breaks at run time, calls raise ``BridgeBroken`` and the runtime switches to the page bridge.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from selenium.common.exceptions import JavascriptException

from shared.jids import phone_jid
from shared.media.kinds import base_mime
from shared.settings import Settings
from worker.browser import module_read, scripts
from worker.browser.bridge import Bridge, BridgeBroken, ChatDirectory
from worker.browser.drift import Drift, DriftKind
from worker.browser.errors import PageError
from worker.browser.observed import (
    CatchUp,
    Cursor,
    MediaRef,
    Observation,
    ObservedMessage,
    OutgoingFile,
    Screen,
    SendOutcome,
    Target,
    normalized,
)
from worker.browser.pages import parse_snapshot
from worker.browser.poke import Poker
from worker.browser.rowid import parse_row_id
from worker.browser.thread import BrowserThread

log = logging.getLogger(__name__)

HISTORY_PAGE = 50  # messages per getMessages call in a catch-up
HISTORY_PAGES = 10  # at most this many pages back per chat to find the last stored message
SENT_LOOKBACK = 50  # a redelivered send looks for its text among the chat's last messages
# t is whole seconds on WhatsApp's clock: a send looks this far before its own creation
SENT_SLACK = timedelta(minutes=2)
# wa-js's answer to a send to a number that is not on WhatsApp (assertFindChat)
_NO_SUCH_NUMBER = ("chat_not_found", "invalid_wid", "contact_not_found")


class ModuleBridge(Bridge):
    kind = "module"
    wake_js = "window.__wagw && window.__wagw.poke()"

    def __init__(
        self,
        settings: Settings,
        browser: BrowserThread,
        directory: ChatDirectory,
        poker: Poker | None = None,
    ):
        super().__init__(settings, browser, directory, poker)
        self._boot: str | None = None
        self._not_ready_since: float | None = None
        self._name: str | None = None

    # --- watching ---------------------------------------------------------------------------

    async def watch(self, timeout_s: float) -> Observation:
        raw: dict[str, Any] = await self._browser.call(scripts.module_wait, int(timeout_s * 1000))
        if "broken" in raw:
            raise BridgeBroken(str(raw["broken"]))
        ui = parse_snapshot(raw.get("ui") or {})
        conn = module_read.Conn.parse(raw.get("conn"))
        self._check_ready(conn)
        boot = raw.get("boot")
        reattached = bool(boot) and boot != self._boot
        if boot:
            self._boot = str(boot)
        got = module_read.items(list(raw.get("items") or []))
        dropped = int(raw.get("dropped") or 0)
        if dropped:
            got.drift.append(Drift.of(DriftKind.EVENTS_DROPPED, f"{dropped} events"))
            reattached = True  # what was dropped comes back through a catch-up
        if conn.name:
            self._name = conn.name
        screen = module_read.screen(conn, ui)
        return Observation(
            screen=screen,
            url=ui.url,
            qr_ref=conn.auth_code if screen is Screen.QR else None,
            link_code=conn.link_code if screen is Screen.LINK_CODE else None,
            phone=conn.phone,
            lid=conn.lid,
            display_name=conn.name,
            dialog=ui.dialog,
            excerpt=ui.excerpt,
            alert=ui.alert,
            passkey_code=ui.passkey_code,
            messages=tuple(got.messages),
            acks=tuple(got.acks),
            drift=(*ui.drift, *got.drift),
            reattached=reattached,
        )

    def _check_ready(self, conn: module_read.Conn) -> None:
        """WPP may be missing for a moment (a page between loads); for longer, it is broken."""
        if conn.ready:
            self._not_ready_since = None
            return
        now = time.monotonic()
        self._not_ready_since = self._not_ready_since or now
        if now - self._not_ready_since > self._settings.bridge_ready_s:
            raise BridgeBroken(
                f"WPP not ready for {self._settings.bridge_ready_s:g} s (APP_BRIDGE_READY_S)"
            )

    # --- operations -------------------------------------------------------------------------

    async def _run(self, name: str, *args: Any, deadline_s: float | None = None) -> Any:
        """One in-page operation; its value, or ``PageError`` (WhatsApp refused it, or timeout),
        or ``BridgeBroken``."""
        deadline = deadline_s or self._timeout
        try:
            raw: dict[str, Any] = await self._browser.call(
                scripts.module_run, name, list(args), int(deadline * 1000)
            )
        except JavascriptException as exc:
            raise BridgeBroken(f"{name}: {str(exc).splitlines()[0]}") from exc
        if "ok" in raw:
            return raw["ok"]
        if "broken" in raw or raw.get("missing"):
            raise BridgeBroken(f"{name}: {raw.get('broken') or 'the in-page bridge is missing'}")
        if raw.get("timeout"):
            raise PageError("timeout", f"{name} did not answer within {deadline:g} s")
        error = raw.get("error") or {}
        raise PageError(str(error.get("code") or "error"), str(error.get("message")))

    async def _chat_id(self, target: Target) -> str:
        if target.phone:
            return phone_jid(target.phone)
        assert target.wa_chat_id is not None
        ref = await self._directory.by_wa_id(target.wa_chat_id)
        if ref is None or not ref.page_only:
            return target.wa_chat_id
        wa_id = ref.phone_jid or ref.lid  # a chat the page bridge knew by its title only
        if wa_id is None:
            raise PageError("chat_not_found", f"no WhatsApp id known for {target.wa_chat_id}")
        return wa_id

    async def send_text(self, target: Target, body: str) -> SendOutcome:
        chat_id = await self._chat_id(target)
        try:
            sent = await self._run("send", chat_id, body, deadline_s=self._settings.send_confirm_s)
        except PageError as exc:
            if exc.reason == "timeout":  # it may still go out: unconfirmed, never sent again
                return SendOutcome(None)
            if target.phone and exc.reason in _NO_SUCH_NUMBER:
                raise PageError("invalid_number", f"{target.phone} is not on WhatsApp") from exc
            raise
        return self._outcome(sent, chat_id, "sendTextMessage")

    async def send_media(self, target: Target, file: OutgoingFile) -> SendOutcome:
        chat_id = await self._chat_id(target)
        data_url = f"data:{base_mime(file.mime)};base64,{base64.b64encode(file.data).decode()}"
        try:
            sent = await self._run(
                "sendFile",
                chat_id,
                data_url,
                file.kind,
                file.caption,
                file.file_name,
                file.mime,
                deadline_s=self._settings.send_confirm_s + self._timeout,
            )
        except PageError as exc:
            if exc.reason == "timeout":  # it may still go out: unconfirmed, never sent again
                return SendOutcome(None)
            if target.phone and exc.reason in _NO_SUCH_NUMBER:
                raise PageError("invalid_number", f"{target.phone} is not on WhatsApp") from exc
            raise
        return self._outcome(sent, chat_id, "sendFileMessage")

    def _outcome(self, sent: dict[str, Any], chat_id: str, call: str) -> SendOutcome:
        wa_msg_id = _bare(sent.get("id"))
        if wa_msg_id is None:
            raise BridgeBroken(f"{call} returned no message id: {sent!r}"[:200])
        ack = module_read.ack_status(sent.get("ack"))
        if ack == "failed":
            raise PageError("send_failed", "WhatsApp did not send it")
        chat = module_read.chat_ref(sent.get("chat"), chat_id)
        return SendOutcome(wa_msg_id, ack or "sent", chat=chat)

    async def find_sent_media(
        self, target: Target, file: OutgoingFile, since: datetime
    ) -> SendOutcome:
        return await self._find_sent(target, file.caption, since, file.kind)

    async def download_media(self, ref: MediaRef) -> bytes:
        chat_id = await self._chat_id(Target(wa_chat_id=ref.wa_chat_id))
        got = await self._run(
            "download", chat_id, ref.wa_msg_id, ref.from_me, deadline_s=self._timeout * 3
        )
        try:
            return base64.b64decode(str((got or {}).get("data") or ""), validate=True)
        except ValueError as exc:
            raise PageError("download_unreadable", "the file came back unreadable") from exc

    async def find_sent(self, target: Target, body: str, since: datetime) -> SendOutcome:
        return await self._find_sent(target, body, since, "text")

    async def _find_sent(
        self, target: Target, body: str, since: datetime, msg_type: str
    ) -> SendOutcome:
        chat_id = await self._chat_id(target)
        since_t = int((since - SENT_SLACK).timestamp())
        try:
            raw = await self._run("sentSince", chat_id, since_t, SENT_LOOKBACK)
        except PageError as exc:
            if exc.reason in _NO_SUCH_NUMBER:  # no such chat yet: nothing was sent to it
                return SendOutcome(None)
            raise
        want = normalized(body)
        got = module_read.items(list(raw or []))
        found = [m for m in got.messages if m.msg_type == msg_type and normalized(m.body) == want]
        if not found:
            return SendOutcome(None)
        return SendOutcome(found[-1].wa_msg_id, found[-1].ack, chat=found[-1].chat)

    async def catch_up(self, cursors: Sequence[Cursor], limit: int) -> CatchUp:
        by_id = {
            wa_id: {"t": int(c.timestamp.timestamp()), "id": c.wa_msg_id}
            for c in cursors
            for wa_id in c.chat.all
        }
        raw = await self._run(
            "history", by_id, limit, HISTORY_PAGE, HISTORY_PAGES, deadline_s=self._timeout * 2
        )
        got = module_read.items(list(raw or []))
        chats = len({m.chat.wa_chat_id for m in got.messages})
        return CatchUp(tuple(got.messages), chats, tuple(got.drift))

    async def mark_read(self, wa_chat_id: str) -> list[ObservedMessage]:
        await self._run("markRead", await self._chat_id(Target(wa_chat_id=wa_chat_id)))
        return []  # no chat is opened: nothing else was read

    async def own_name(self) -> str | None:
        return self._name

    async def request_pairing_code(self, phone: str) -> str:
        code = await self._run("linkCode", phone)
        if not isinstance(code, str) or not code:
            raise PageError("no_code", "WhatsApp gave no pairing code")
        return "".join(code.split("-"))

    async def refresh_qr(self) -> None:
        await self._run("refreshQr")

    async def logout(self) -> None:
        await self._run("logout")


def _bare(serialized: object) -> str | None:
    """``true_<chat>_<id>[_<participant>]`` (wa-js's ``id._serialized``) -> ``<id>``."""
    rid = parse_row_id(serialized if isinstance(serialized, str) else None)
    return rid.msg_id if rid is not None else None
