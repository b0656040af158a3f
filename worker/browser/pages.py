"""Page objects for WhatsApp Web: the only module that knows its HTML (DESIGN §9).

Every function is blocking and runs on the session's driver thread. They return data, never
assert; waits are explicit with deadlines. The JS they inject lives beside this file in ``js/``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

_JS_DIR = Path(__file__).with_name("js")


class Sel:
    """Locators (CSS) of WhatsApp Web."""

    QR = "div[data-ref]"
    QR_CANVAS = 'canvas[aria-label="Scan this QR code to link a device!"]'
    QR_RELOAD = "div[data-ref] > span > button"
    PANE_SIDE = "#pane-side"
    CHAT_ROW = '#pane-side [role="listitem"]'
    CHAT_TITLE = "span[title]"
    MAIN = "#main"
    MAIN_TITLE = "#main header span[title]"
    COMPOSE = 'footer div[contenteditable="true"][data-tab="10"]'
    SEND = 'button[aria-label="Send"]'
    DIALOG = 'div[role="dialog"]'
    MENU = '#side header [role="button"][aria-label="Menu"]'
    MENU_LOGOUT = 'div[role="application"] li [role="button"][aria-label="Log out"]'


INVALID_NUMBER_TEXT = "Phone number shared via url is invalid."
# explicit waits re-check this often: each check is one cheap script call, and every capture and
# send pays about half of it
POLL_S = 0.01
USE_HERE_TEXT = "Use here"
WID_KEYS = ("last-wid-md", "WANoiseInfo")


class Screen(StrEnum):
    UNKNOWN = "unknown"
    LOADING = "loading"
    UNSUPPORTED = "unsupported"
    QR = "qr"
    QR_EXPIRED = "qr_expired"
    SYNCING = "syncing"
    READY = "ready"
    OFFLINE = "offline"
    CONFLICT = "conflict"


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
    dialog: str | None

    @property
    def logged_out_redirect(self) -> bool:
        return "post_logout=1" in self.url


@dataclass(frozen=True)
class Row:
    """One message row as seen in ``#main``."""

    wa_msg_id: str
    wa_chat_id: str
    direction: str
    sender: str | None
    body: str
    timestamp: datetime | None
    ack: str | None  # pending | sent | delivered | read | failed (outgoing only)


@dataclass
class ChatView:
    name: str
    rows: list[Row] = field(default_factory=list)

    @property
    def wa_chat_id(self) -> str | None:
        return self.rows[0].wa_chat_id if self.rows else None


class PageError(Exception):
    """A page action could not be done; ``reason`` is a short code for the message status."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@cache
def _js(name: str) -> str:
    return (_JS_DIR / name).read_text()


# --- reading -----------------------------------------------------------------------------

_PRE = re.compile(r"^\[(\d{1,2}):(\d{2}), (\d{1,2})/(\d{1,2})/(\d{4})\] (.*?): ?$", re.S)
_MSG_ID = re.compile(r"^(true|false)_(.+@[a-z.]+)_([A-Za-z0-9]+)$")


def phone_from_wid(wid: str | None) -> str | None:
    """``"15550001111:12@c.us"`` (stored JSON-quoted) -> ``15550001111``."""
    if not wid:
        return None
    m = re.match(r'^"?(\d+)[:@]', wid)
    return m.group(1) if m else None


_WAIT = """
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[0];
const snap = () => { %s };
const finish = () => { window.__waWake = null; window.__waChanged = false; done(snap()); };
if (window.__waChanged) { finish(); }
else {
  const timer = setTimeout(finish, timeoutMs);
  window.__waWake = () => { clearTimeout(timer); finish(); };
}
"""


def snapshot(driver: WebDriver) -> Snapshot:
    return _snapshot(driver.execute_script(_js("snapshot.js")))


def wait_snapshot(driver: WebDriver, timeout_s: float) -> Snapshot:
    """(Re-)inject the observer, wait until the page changes or ``timeout_s`` passes, then look.

    The wait happens inside the page, so the worker reacts to a new message within milliseconds
    without polling WebDriver in a tight loop.
    """
    script = _js("observer.js") + (_WAIT % _js("snapshot.js"))
    return _snapshot(driver.execute_async_script(script, int(timeout_s * 1000)))


def _snapshot(raw: dict[str, Any]) -> Snapshot:
    return Snapshot(
        screen=Screen(raw.get("state") or "unknown"),
        url=str(raw.get("url") or ""),
        qr_ref=raw.get("qrRef"),
        sync_percent=raw.get("syncPercent"),
        phone=phone_from_wid(raw.get("wid")),
        display_name=raw.get("displayName"),
        unread=tuple(UnreadChat(u["name"], int(u["count"])) for u in raw.get("unread") or []),
        open_chat=raw.get("openChat"),
        dialog=raw.get("dialog"),
    )


def parse_pre_plain(pre: str) -> tuple[datetime | None, str | None]:
    """``[HH:MM, D/M/YYYY] Sender: `` -> (timestamp, sender)."""
    m = _PRE.match(pre or "")
    if not m:
        return None, None
    hh, mm, d, mo, y, sender = m.groups()
    try:
        ts = datetime(int(y), int(mo), int(d), int(hh), int(mm), tzinfo=UTC)
    except ValueError:
        ts = None
    return ts, sender or None


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


def _rows(raw: dict[str, Any]) -> list[Row]:
    out: list[Row] = []
    for r in raw.get("rows") or []:
        m = _MSG_ID.match(str(r.get("id") or ""))
        if not m:
            continue
        ts, sender = parse_pre_plain(str(r.get("pre") or ""))
        out.append(
            Row(
                wa_msg_id=m.group(0),
                wa_chat_id=m.group(2),
                direction="out" if m.group(1) == "true" else "in",
                sender=sender,
                body=str(r.get("body") or ""),
                timestamp=ts,
                ack=_ack(r.get("icon"), r.get("iconLabel")) if m.group(1) == "true" else None,
            )
        )
    return out


def inject_observer(driver: WebDriver) -> None:
    driver.execute_script(_js("observer.js"))


def drain_observed(driver: WebDriver) -> ChatView:
    """Rows the observer saw added or changed since the last drain (with their current state)."""
    raw: dict[str, Any] = driver.execute_script(_js("read_rows.js"), None, True)
    return ChatView(name=raw.get("chat") or "", rows=_rows(raw))


def read_open_chat(driver: WebDriver) -> ChatView:
    """Every message row of the open chat (the fallback scan)."""
    raw: dict[str, Any] = driver.execute_script(_js("read_rows.js"), None, False)
    return ChatView(name=raw.get("chat") or "", rows=_rows(raw))


@dataclass(frozen=True)
class ListedChat:
    name: str
    preview: str | None
    unread: int


def list_chats(driver: WebDriver, limit: int) -> list[ListedChat]:
    """Chats in list order (newest activity first), scrolling through the virtualized list."""
    raw: dict[str, Any] = driver.execute_script(_js("chat_list.js"), limit, None)
    driver.execute_script("document.querySelector(arguments[0]).scrollTop = 0", Sel.PANE_SIDE)
    return [
        ListedChat(c["name"], c.get("preview"), int(c.get("unread") or 0)) for c in raw["chats"]
    ]


# --- acting ------------------------------------------------------------------------------


def _wait(driver: WebDriver, timeout_s: float, check: Any, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got = check()
        except WebDriverException:
            got = None
        if got:
            return got
        if time.monotonic() > deadline:
            raise PageError("timeout", f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(POLL_S)


def open_chat_by_name(driver: WebDriver, name: str, timeout_s: float = 10.0) -> None:
    if snapshot(driver).open_chat == name:
        return
    raw: dict[str, Any] = driver.execute_script(_js("chat_list.js"), 0, name)
    row = raw.get("found")
    if row is None:
        raise PageError("chat_not_found", f"no chat named {name!r} in the chat list")
    row.click()
    _wait(driver, timeout_s, lambda: snapshot(driver).open_chat == name, f"chat {name!r} to open")


def _dialog_button(driver: WebDriver, label: str) -> Any:
    for button in driver.find_elements(By.CSS_SELECTOR, f"{Sel.DIALOG} button"):
        if button.text.strip().lower() == label.lower():
            return button
    return None


def open_chat_by_phone(driver: WebDriver, wa_url: str, phone: str, timeout_s: float = 30.0) -> str:
    """Deep link to a number; returns the opened chat's title. Navigates: re-inject the observer."""
    driver.get(f"{wa_url.rstrip('/')}/send?phone={quote(phone)}")

    def settled() -> str | None:
        snap = snapshot(driver)
        if snap.dialog and INVALID_NUMBER_TEXT in snap.dialog:
            return "invalid"
        if snap.open_chat and driver.find_elements(By.CSS_SELECTOR, Sel.COMPOSE):
            return "open"
        return None

    outcome = _wait(driver, timeout_s, settled, f"chat with {phone} to open")
    if outcome == "invalid":
        ok = _dialog_button(driver, "OK")
        if ok is not None:
            ok.click()
        raise PageError("invalid_number", f"phone number {phone} is not on WhatsApp (invalid)")
    return snapshot(driver).open_chat or phone


def _normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r", "").strip().split("\n"))


def send_text(
    driver: WebDriver, body: str, via_enter: bool = False, timeout_s: float = 15.0
) -> Row:
    """Type ``body`` into the open chat and send it; returns the new outgoing row.

    Text is inserted with CDP ``Input.insertText`` (ChromeDriver's send_keys cannot type characters
    outside the BMP, such as most emoji); new lines are Shift+Enter, as a person types them.
    """
    compose = _wait(
        driver, timeout_s, lambda: driver.find_elements(By.CSS_SELECTOR, Sel.COMPOSE), "compose box"
    )[0]
    before = {r.wa_msg_id for r in read_open_chat(driver).rows if r.direction == "out"}
    compose.click()
    for i, line in enumerate(body.replace("\r", "").split("\n")):
        if i:
            compose.send_keys(Keys.SHIFT, Keys.ENTER)
        if line:
            driver.execute_cdp_cmd("Input.insertText", {"text": line})
    if via_enter:
        compose.send_keys(Keys.ENTER)
    else:
        _wait(driver, 5, lambda: driver.find_elements(By.CSS_SELECTOR, Sel.SEND), "send button")[
            0
        ].click()
    want = _normalized(body)

    def sent_row() -> Row | None:
        for row in reversed(read_open_chat(driver).rows):
            if (
                row.direction == "out"
                and row.wa_msg_id not in before
                and _normalized(row.body) == want
            ):
                return row
        return None

    row: Row = _wait(driver, timeout_s, sent_row, "the sent message to appear")
    return row


def find_sent(driver: WebDriver, body: str) -> Row | None:
    """The newest outgoing row of the open chat with exactly this text, if any."""
    want = _normalized(body)
    for row in reversed(read_open_chat(driver).rows):
        if row.direction == "out" and _normalized(row.body) == want:
            return row
    return None


def take_over(driver: WebDriver) -> bool:
    """Click "Use here" on the conflict modal."""
    button = _dialog_button(driver, USE_HERE_TEXT)
    if button is None:
        return False
    button.click()
    return True


def reload_qr(driver: WebDriver) -> bool:
    buttons = driver.find_elements(By.CSS_SELECTOR, Sel.QR_RELOAD)
    if not buttons:
        return False
    buttons[0].click()
    return True


def logout(driver: WebDriver, wa_url: str, timeout_s: float = 10.0) -> None:
    """Log this device out: menu -> Log out -> confirm; without a menu, forget the local keys."""
    menus = driver.find_elements(By.CSS_SELECTOR, Sel.MENU)
    if menus:
        menus[0].click()
        item = _wait(
            driver,
            timeout_s,
            lambda: [
                el
                for el in driver.find_elements(
                    By.CSS_SELECTOR, '[role="application"] li, [role="button"]'
                )
                if el.text.strip().lower() == "log out"
            ],
            "the Log out menu item",
        )
        item[0].click()
        confirm = _wait(
            driver, timeout_s, lambda: _dialog_button(driver, "Log out"), "logout confirm"
        )
        confirm.click()
        _wait(driver, timeout_s, lambda: snapshot(driver).phone is None, "the device to log out")
        return
    driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
    driver.get(wa_url)


def open_home(driver: WebDriver, wa_url: str) -> None:
    driver.get(wa_url)
