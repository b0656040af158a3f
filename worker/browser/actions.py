"""Page objects for WhatsApp Web, acting side: open chats, send, press dialog buttons, read the
profile and contact drawers, link with a phone number, go on with the passkey check, log out,
attach a file.

Blocking, on the driver thread; explicit waits with deadlines; return data, raise ``PageError``
when an action cannot be done. Markup lives in ``selectors.py``.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from worker.browser import pages, scripts
from worker.browser.errors import PageError
from worker.browser.observed import OutgoingFile, Screen, normalized
from worker.browser.pages import Row
from worker.browser.selectors import CONFLICT, INVALID_NUMBER, LOG_OUT_CONFIRM, SELECTORS, TEXTS
from worker.browser.times import TimeReader

S = SELECTORS
T = TypeVar("T")
# explicit waits re-check this often: each check is one cheap script call, and every capture and
# send pays about half of it
POLL_S = 0.01
_PHONE = re.compile(r"\+\d[\d\s\-().]{5,}\d")


@dataclass(frozen=True)
class ChatInfo:
    """What the open chat's info drawer says."""

    phone: str | None  # digits, when the drawer shows a number
    is_group: bool


def _wait(driver: WebDriver, timeout_s: float, check: Callable[[], T | None], what: str) -> T:
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


def _find(root: WebDriver | WebElement, selector: str) -> list[WebElement]:
    return list(root.find_elements(By.CSS_SELECTOR, selector))


def _with_text(
    root: WebDriver | WebElement, selector: str, text: str, *, exact: bool = True
) -> Any:
    """The first element matching ``selector`` whose text is (or contains) ``text``."""
    want = text.lower()
    for el in _find(root, selector):
        got = el.text.strip().lower()
        if got == want or (not exact and want in got):
            return el
    return None


def open_home(driver: WebDriver, wa_url: str) -> None:
    driver.get(wa_url)


# --- chats and sending ---------------------------------------------------------------------


def open_chat_by_name(driver: WebDriver, name: str, timeout_s: float = 10.0) -> None:
    if pages.snapshot(driver).open_chat == name:
        return
    raw: dict[str, Any] = scripts.run_for_elements(driver, "chat_list.js", 0, name)
    row = raw.get("found")
    if row is None:
        raise PageError("chat_not_found", f"no chat named {name!r} in the chat list")
    row.click()
    _wait(
        driver,
        timeout_s,
        lambda: pages.snapshot(driver).open_chat == name,
        f"chat {name!r} to open",
    )


def open_chat_by_phone(driver: WebDriver, wa_url: str, phone: str, timeout_s: float = 30.0) -> str:
    """Deep link to a number; returns the opened chat's title. Navigates: re-inject the observer."""
    driver.get(f"{wa_url.rstrip('/')}/send?phone={quote(phone)}")

    def settled() -> str | None:
        snap = pages.snapshot(driver)
        if snap.dialog and snap.dialog.known is INVALID_NUMBER:
            return "invalid"
        if snap.open_chat and _find(driver, S["compose"]):
            return "open"
        return None

    if _wait(driver, timeout_s, settled, f"chat with {phone} to open") == "invalid":
        press_dialog_button(driver, INVALID_NUMBER.button)
        raise PageError("invalid_number", f"phone number {phone} is not on WhatsApp (invalid)")
    return pages.snapshot(driver).open_chat or phone


def type_and_send(
    driver: WebDriver, body: str, via_enter: bool = False, timeout_s: float = 15.0
) -> frozenset[str]:
    """Type ``body`` into the open chat and send it; returns the outgoing row ids seen before.

    Text is inserted with CDP ``Input.insertText`` (ChromeDriver's send_keys cannot type characters
    outside the BMP, such as most emoji); new lines are Shift+Enter, as a person types them.
    """
    compose = _wait(driver, timeout_s, lambda: _find(driver, S["compose"]), "compose box")[0]
    before = pages.outgoing_ids(driver)
    compose.click()
    for i, line in enumerate(body.replace("\r", "").split("\n")):
        if i:
            compose.send_keys(Keys.SHIFT, Keys.ENTER)
        if line:
            driver.execute_cdp_cmd("Input.insertText", {"text": line})
    if via_enter:
        compose.send_keys(Keys.ENTER)
    else:
        _wait(driver, 5, lambda: _find(driver, S["send"]), "send button")[0].click()
    return before


def wait_sent_row(
    driver: WebDriver, body: str, before: frozenset[str], times: TimeReader, timeout_s: float
) -> Row | None:
    """The new outgoing row with this text, or None if it has not appeared within ``timeout_s``."""
    want = normalized(body)

    def sent_row() -> Row | None:
        for row in reversed(pages.read_open_chat(driver, times).rows):
            if row.direction == "out" and normalized(row.body) == want:
                return row if row.wa_msg_id not in before else None
        return None

    try:
        return _wait(driver, timeout_s, sent_row, "the sent message to appear")
    except PageError:
        return None


def send_text(
    driver: WebDriver,
    body: str,
    times: TimeReader,
    via_enter: bool = False,
    timeout_s: float = 15.0,
) -> Row:
    """Type, send and wait for the row (raises ``PageError`` when it does not appear)."""
    before = type_and_send(driver, body, via_enter, timeout_s)
    row = wait_sent_row(driver, body, before, times, timeout_s)
    if row is None:
        raise PageError("timeout", f"the sent message did not appear within {timeout_s:.0f}s")
    return row


def find_sent(driver: WebDriver, body: str, times: TimeReader) -> Row | None:
    """The newest outgoing row of the open chat with exactly this text, if any."""
    want = normalized(body)
    for row in reversed(pages.read_open_chat(driver, times).rows):
        if row.direction == "out" and normalized(row.body) == want:
            return row
    return None


# --- dialogs and drawers -----------------------------------------------------------------


def press_dialog_button(driver: WebDriver, label: str) -> bool:
    """Press the button labelled ``label`` of the topmost dialog that has one (popups stack,
    the newest last in the document); False when there is none."""
    for dialog in reversed(_find(driver, S["dialog"])):
        button = _with_text(dialog, S["dialogButton"], label)
        if button is not None:
            button.click()
            return True
    return False


def take_over(driver: WebDriver) -> bool:
    """Click "Use here" on the conflict modal."""
    return press_dialog_button(driver, CONFLICT.button)


def read_own_name(driver: WebDriver, timeout_s: float = 5.0) -> str | None:
    """The account's name: from the side header (older page) or the Profile drawer (2026)."""
    legacy = _find(driver, S["ownNameLegacy"])
    if legacy:
        return legacy[0].get_attribute("title")
    buttons = _find(driver, S["profileButton"])
    if not buttons:
        return None
    buttons[0].click()
    drawer = _wait(driver, timeout_s, lambda: _find(driver, S["profileDrawer"]), "profile drawer")
    names = _find(drawer[0], S["drawerName"])
    name = names[0].get_attribute("title") if names else None
    back = _find(drawer[0], S["drawerBack"])
    if back:
        back[0].click()
    return name


def read_chat_info(driver: WebDriver, timeout_s: float = 5.0) -> ChatInfo:
    """Open the open chat's info drawer, read the number (or that it is a group), close it."""
    header = _find(driver, S["mainTitle"]) or _find(driver, S["mainHeader"])
    if not header:
        raise PageError("no_chat", "no chat is open")
    header[0].click()
    drawer = _wait(driver, timeout_s, lambda: _find(driver, S["infoDrawer"]), "chat info drawer")[0]
    is_group = bool(_find(driver, S["groupInfo"]))
    found = _PHONE.search(drawer.text or "")
    phone = re.sub(r"\D", "", found.group(0)) if found and not is_group else None
    close = _find(drawer, S["drawerClose"])
    if close:
        close[0].click()
    return ChatInfo(phone=phone if phone and 7 <= len(phone) <= 15 else None, is_group=is_group)


# --- linking and logging out ---------------------------------------------------------------


def passkey_continue(driver: WebDriver) -> bool:
    """On the passkey check, press Continue (the page then asks the browser for the passkey);
    False when the check is not on screen."""
    if pages.snapshot(driver).screen is not Screen.PASSKEY:
        return False
    button = _with_text(driver, S["landingButton"], TEXTS["passkeyContinue"])
    if button is None or not button.is_enabled():
        return False
    button.click()
    return True


def reload_qr(driver: WebDriver) -> bool:
    buttons = _find(driver, S["qrReload"])
    if not buttons:
        return False
    buttons[0].click()
    return True


def request_link_code(driver: WebDriver, wa_url: str, phone: str, timeout_s: float = 30.0) -> str:
    """On the QR landing: "Log in with phone number", type ``+<phone>``, Next; the code shown.

    Raises ``PageError`` ``not_on_landing`` (linked already, or another screen), ``invalid_phone``
    (the page refused the number) or ``timeout``.
    """
    screen = pages.snapshot(driver).screen
    if screen in (Screen.LINK_PHONE, Screen.LINK_CODE):  # start over from the QR
        open_home(driver, wa_url)
        screen = _wait(driver, timeout_s, lambda: _landing(driver), "the QR landing")
    if screen is Screen.QR_EXPIRED:
        reload_qr(driver)
    elif screen is not Screen.QR:
        raise PageError("not_on_landing", f"the page shows {screen}, not the QR landing")
    _wait(
        driver,
        timeout_s,
        lambda: _with_text(driver, S["landingButton"], TEXTS["linkWithPhone"], exact=False),
        "the link-with-phone-number button",
    ).click()
    field = _wait(driver, timeout_s, lambda: _find(driver, S["phoneInput"]), "phone input")[0]
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(f"+{phone}")
    _wait(
        driver, timeout_s, lambda: _with_text(driver, S["landingButton"], TEXTS["next"]), "Next"
    ).click()

    def outcome() -> tuple[str, str] | None:
        snap = pages.snapshot(driver)
        if snap.link_code:
            return ("code", snap.link_code)
        alerts = [a.text for a in _find(driver, S["alert"]) if a.text.strip()]
        return ("refused", alerts[0]) if alerts else None

    kind, value = _wait(driver, timeout_s, outcome, "the pairing code")
    if kind == "refused":
        raise PageError("invalid_phone", f"WhatsApp refused the number: {value[:80]}")
    return value


def _landing(driver: WebDriver) -> Screen | None:
    screen = pages.snapshot(driver).screen
    return screen if screen in (Screen.QR, Screen.QR_EXPIRED) else None


def logout(driver: WebDriver, wa_url: str, timeout_s: float = 10.0) -> None:
    """Log this device out: menu -> Log out -> confirm; without a menu, forget the local keys."""
    menus = _find(driver, S["menu"])
    if menus:
        menus[0].click()
        _wait(
            driver,
            timeout_s,
            lambda: _with_text(driver, S["menuItems"], TEXTS["logOut"]),
            "the Log out menu item",
        ).click()
        _wait(
            driver,
            timeout_s,
            lambda: press_dialog_button(driver, LOG_OUT_CONFIRM.button) or None,
            "logout confirm",
        )
        _wait(
            driver,
            timeout_s,
            lambda: pages.snapshot(driver).phone is None,
            "the device to log out",
        )
        return
    driver.execute_script("window.localStorage.clear(); window.sessionStorage.clear();")
    driver.get(wa_url)


# --- files ----------------------------------------------------------------------------

# the attach menu sends pictures and videos as such through its photo input; anything else goes
# through the document input (the page sends audio files as audio, the rest as documents)
_PHOTO_KINDS = ("image", "video")


def attach_and_send(driver: WebDriver, file: OutgoingFile, path: Path, timeout_s: float) -> None:
    """Attach -> the input for the kind -> the file (``path``, a copy kept until the row shows)
    -> caption -> Send."""
    _wait(driver, timeout_s, lambda: _find(driver, S["attach"]), "attach button")[0].click()
    which = S["attachPhotos"] if file.kind in _PHOTO_KINDS else S["attachDocument"]
    field = _wait(driver, 5, lambda: _find(driver, which), "file input")[0]
    try:
        field.send_keys(str(path))
    except WebDriverException as exc:
        raise PageError("attach_failed", str(exc).splitlines()[0][:200]) from exc
    caption = _wait(driver, timeout_s, lambda: _find(driver, S["caption"]), "caption box")[0]
    if file.caption:
        caption.click()
        driver.execute_cdp_cmd("Input.insertText", {"text": file.caption})
    _wait(driver, 5, lambda: _find(driver, S["mediaSend"]), "send button")[0].click()


def upload_name(file: OutgoingFile) -> str:
    """The name the attached copy gets (the page shows it; documents keep theirs)."""
    if file.file_name:
        return Path(file.file_name).name
    return f"file{mimetypes.guess_extension(file.mime.split(';')[0]) or ''}"


def sent_media_row(
    driver: WebDriver, caption: str, before: frozenset[str], times: TimeReader, timeout_s: float
) -> Row | None:
    """The new outgoing row with a file and this caption, or None within ``timeout_s``."""
    want = normalized(caption)

    def sent_row() -> Row | None:
        for row in reversed(pages.read_open_chat(driver, times).rows):
            if row.direction == "out" and row.media is not None and normalized(row.body) == want:
                return row if row.wa_msg_id not in before else None
        return None

    try:
        return _wait(driver, timeout_s, sent_row, "the sent file to appear")
    except PageError:
        return None
