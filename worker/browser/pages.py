"""Page objects for WhatsApp Web, reading side: which screen, the chat list, the open chat's rows.

Every function is blocking and runs on the session's driver thread. They return data (with
``Drift`` notes for whatever they could not interpret), never assert and never decide; the
runtime does. Markup lives in ``selectors.py``; actions are in ``actions.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from worker.browser import page_media, scripts
from worker.browser.drift import Drift, DriftKind
from worker.browser.observed import Dialog, ObservedMedia, Screen
from worker.browser.rowid import parse_row_id
from worker.browser.selectors import SELECTORS, known_dialog
from worker.browser.times import TimeReader


@dataclass(frozen=True)
class UnreadChat:
    name: str
    count: int


@dataclass(frozen=True)
class Snapshot:
    screen: Screen
    url: str
    qr_ref: str | None
    sync_percent: int | None
    phone: str | None
    display_name: str | None
    unread: tuple[UnreadChat, ...]
    open_chat: str | None
    dialog: Dialog | None
    link_code: str | None = None
    excerpt: str | None = None  # page text, for screens the runtime may have to explain
    alert: str | None = None
    passkey_code: str | None = None
    drift: tuple[Drift, ...] = ()

    @property
    def logged_out_redirect(self) -> bool:
        return "post_logout=1" in self.url


@dataclass(frozen=True)
class Row:
    """One message row as seen in ``#main``."""

    wa_msg_id: str  # WhatsApp's bare message id, whatever form the page used
    direction: str  # in | out
    sender: str | None
    body: str
    timestamp: datetime  # the page's time, or the capture time when it could not be read
    ack: str | None  # pending | sent | delivered | read | failed (outgoing only)
    chat_hint: str | None = None  # legacy form only: the chat id the message came in under
    participant: str | None = None  # legacy group form: the author's id
    media: ObservedMedia | None = None  # a row with a file: what it shows of it


@dataclass
class ChatView:
    name: str
    rows: list[Row] = field(default_factory=list)
    drift: list[Drift] = field(default_factory=list)

    @property
    def chat_hints(self) -> list[str]:
        """Chat ids that rows in legacy form name, first seen first."""
        return list(dict.fromkeys(r.chat_hint for r in self.rows if r.chat_hint))


@dataclass(frozen=True)
class ListedChat:
    name: str
    preview: str | None
    unread: int


def phone_from_wid(wid: str | None) -> str | None:
    """``"15550001111:12@c.us"`` (stored JSON-quoted) -> ``15550001111``."""
    if not wid:
        return None
    m = re.match(r'^"?(\d+)[:@]', wid)
    return m.group(1) if m else None


# --- screens -------------------------------------------------------------------------------


def snapshot(driver: WebDriver) -> Snapshot:
    return parse_snapshot(scripts.run(driver, "snapshot.js"))


def wait_snapshot(driver: WebDriver, timeout_s: float) -> Snapshot:
    """(Re-)inject the observer, wait until the page changes or ``timeout_s`` passes, then look.

    The wait happens inside the page, so the worker reacts to a new message within milliseconds
    without polling WebDriver in a tight loop.
    """
    return parse_snapshot(scripts.wait_and_snapshot(driver, int(timeout_s * 1000)))


def inject_observer(driver: WebDriver) -> None:
    scripts.run(driver, "observer.js")


def parse_snapshot(raw: dict[str, Any]) -> Snapshot:
    drift: list[Drift] = []
    unread = []
    for chat in raw.get("chats") or []:
        count = read_unread(chat.get("badges") or [], chat["name"], drift)
        if count:
            unread.append(UnreadChat(chat["name"], count))
    dialog = None
    if raw.get("dialog") is not None:
        buttons = tuple(raw.get("dialogButtons") or ())
        lines = str(raw["dialog"]).strip().split("\n")
        while len(lines) > 1 and lines[-1].strip() in buttons:  # the buttons' own labels
            lines.pop()
        text = "\n".join(lines).strip()
        dialog = Dialog(text, buttons, known_dialog(text, list(buttons)))
    code = raw.get("linkCode")
    return Snapshot(
        screen=Screen(raw.get("state") or "unknown"),
        url=str(raw.get("url") or ""),
        qr_ref=raw.get("qrRef"),
        sync_percent=raw.get("syncPercent"),
        phone=phone_from_wid(raw.get("wid")),
        display_name=raw.get("displayName"),
        unread=tuple(unread),
        open_chat=raw.get("openChat"),
        dialog=dialog,
        link_code="".join(str(code).split(",")) if code else None,
        excerpt=raw.get("excerpt"),
        alert=raw.get("alert"),
        passkey_code=raw.get("passkeyCode"),
        drift=tuple(drift),
    )


def read_unread(badges: list[dict[str, str]], chat: str, drift: list[Drift]) -> int:
    """A chat row's unread count from its badges (``{label, text}``), in any language: the
    badge's own number, checked against the number in its label."""
    for badge in badges:
        text, label = str(badge.get("text") or ""), str(badge.get("label") or "")
        label_numbers = re.findall(r"\d+", label)
        if text.isdigit() and text in label_numbers:
            return int(text)
        if text.isdigit() or label_numbers:
            drift.append(Drift.of(DriftKind.UNREAD_UNPARSED, f"{label} / {text}", key=chat))
            return int(text) if text.isdigit() else int(label_numbers[0])
    return 0


# --- the open chat -----------------------------------------------------------------------

_ACKS = {
    "msg-time": "pending",
    "msg-check": "sent",
    "msg-dblcheck": "delivered",
    "msg-failed": "failed",
}


def _ack(icon: str | None, label: str | None) -> str | None:
    if icon is None:
        return None
    if icon == "msg-dblcheck" and (label or "").lower() == "read":
        return "read"
    return _ACKS.get(icon)


def parse_rows(raw: dict[str, Any], times: TimeReader) -> ChatView:
    """Raw rows from ``read_rows.js`` -> rows, plus drift for what could not be read."""
    view = ChatView(name=str(raw.get("chat") or ""))
    offset = int(raw.get("tzOffset") or 0)
    now = datetime.now(UTC)
    for r in raw.get("rows") or []:
        data_id, direction = r.get("id"), r.get("direction")
        rid = parse_row_id(data_id)
        if rid is not None and direction is None and rid.from_me is not None:
            direction = "out" if rid.from_me else "in"
        if rid is None or direction not in ("in", "out"):
            view.drift.append(
                Drift.of(
                    DriftKind.ROW_UNPARSED,
                    f"data-id={data_id!r} direction={direction}",
                    key=f"{view.name}|{data_id}|{r.get('pre')}",
                )
            )
            continue
        pre = times.read(r.get("pre"), offset)
        if pre.timestamp is None:
            view.drift.append(Drift.of(DriftKind.TIME_UNPARSED, r.get("pre"), key=rid.msg_id))
        view.rows.append(
            Row(
                wa_msg_id=rid.msg_id,
                direction=direction,
                sender=pre.sender,
                body=str(r.get("body") or ""),
                timestamp=pre.timestamp or now,
                ack=_ack(r.get("icon"), r.get("iconLabel")) if direction == "out" else None,
                chat_hint=rid.chat_id,
                participant=rid.participant,
                media=page_media.row_media(r.get("media")),
            )
        )
    return view


def drain_observed(driver: WebDriver, times: TimeReader) -> ChatView:
    """Rows the observer saw added or changed since the last drain (with their current state)."""
    return parse_rows(scripts.run(driver, "read_rows.js", None, True), times)


def read_open_chat(driver: WebDriver, times: TimeReader) -> ChatView:
    """Every message row of the open chat (the fallback scan)."""
    return parse_rows(scripts.run(driver, "read_rows.js", None, False), times)


def outgoing_ids(driver: WebDriver) -> frozenset[str]:
    """Bare ids of the open chat's outgoing rows (to tell a new row from the old ones)."""
    raw = scripts.run(driver, "read_rows.js", None, False)
    ids = (parse_row_id(r.get("id")) for r in raw.get("rows") or [] if r.get("direction") == "out")
    return frozenset(rid.msg_id for rid in ids if rid is not None)


# --- the chat list -----------------------------------------------------------------------


def list_chats(driver: WebDriver, limit: int) -> tuple[list[ListedChat], list[Drift]]:
    """Chats in list order (newest activity first), scrolling through the virtualized list."""
    raw: dict[str, Any] = scripts.run(driver, "chat_list.js", limit, None)
    driver.execute_script(
        "const p = document.querySelector(arguments[0]);"
        " if (p) { p.scrollTop = 0; p.dispatchEvent(new Event('scroll')); }",
        SELECTORS["paneSide"],
    )
    drift: list[Drift] = []
    chats = [
        ListedChat(
            c["name"], c.get("preview"), read_unread(c.get("badges") or [], c["name"], drift)
        )
        for c in raw["chats"]
    ]
    return chats, drift
