"""Page object for the simulator's WhatsApp Web page: the one place the tests know its HTML."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any, TypeVar, cast

from PIL import Image
from pyzbar.pyzbar import decode
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

T = TypeVar("T")

QR_BOX = "div[data-ref]"
QR_CANVAS = 'div[data-ref] canvas[aria-label="Scan this QR code to link a device!"]'
QR_RELOAD = "div[data-ref] > span > button"
STARTUP = "#startup progress"
SYNC = '[data-testid="sync-progress"]'  # legacy
SYNC_2026 = ".syncing"
PANE = "#pane-side"
GRID = '#pane-side div[role="grid"][aria-label="Chat list"]'
ROW = '#pane-side [role="listitem"]'  # legacy
ROW_2026 = '#pane-side div[role="grid"] > div[role="row"]'
PROFILE = '#side header span[data-testid="profile-name"]'  # legacy
PROFILE_BUTTON = '#side header div[role="button"][aria-label="Profile"]'  # 2026
PROFILE_DRAWER = 'div[aria-label="Profile"][role="region"]'
INFO_DRAWER = 'div[role="region"][aria-label$=" info"]'
BANNER = '#side span[data-icon="alert-computer"]'
MAIN_TITLE = "#main header span[title]"
MESSAGE = '#main [role="row"] div[data-id]'
TEXT = "span.selectable-text"  # legacy
TEXT_2026 = 'span[data-testid="selectable-text"]'
COMPOSE = '#main footer div[contenteditable="true"][data-tab="10"]'
SEND = '#main footer button[aria-label="Send"]'
DIALOG = 'div[role="dialog"]'
OVERLAY = 'div[data-animate-modal-popup="true"]'
LINK_PHONE = "//span[@role='button'][normalize-space()='Log in with phone number']"
PHONE_INPUT = 'input[aria-label="Type your phone number."]'
LINK_CODE = 'div[aria-details="link-device-phone-number-code-screen-instructions"][data-link-code]'


class WaWeb:
    def __init__(
        self, driver: webdriver.Chrome, base_url: str, profile: str = "2026", timeout: float = 10
    ) -> None:
        self.driver = driver
        self.base_url = base_url
        self.profile = profile
        self.timeout = timeout
        self.row = ROW_2026 if profile == "2026" else ROW
        self.text = TEXT_2026 if profile == "2026" else TEXT

    # -- plumbing ----------------------------------------------------------------------------

    def open(self, path: str = "/") -> None:
        self.driver.get(self.base_url + path)

    def wait(
        self, condition: Callable[[webdriver.Chrome], T | None], timeout: float | None = None
    ) -> T:
        """Poll ``condition`` until it returns something truthy (a stale element counts as no)."""

        def safe(driver: webdriver.Chrome) -> T | None:
            try:
                return condition(driver)
            except StaleElementReferenceException:
                return None

        waiter = WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.05)
        return cast(T, waiter.until(safe))

    def find(self, css: str) -> WebElement:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css) if self.all(css) else None)

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def has(self, css: str) -> bool:
        return bool(self.all(css))

    def wait_gone(self, css: str, timeout: float | None = None) -> None:
        self.wait(lambda d: not self.has(css), timeout)

    def text_of(self, css: str) -> str:
        return self.find(css).text

    def local_storage(self, key: str) -> str | None:
        value: str | None = self.driver.execute_script(
            "return localStorage.getItem(arguments[0])", key
        )
        return value

    # -- QR landing --------------------------------------------------------------------------

    def qr_ref(self, timeout: float | None = None) -> str:
        return self.wait(lambda d: self.find(QR_BOX).get_attribute("data-ref") or None, timeout)

    def next_qr_ref(self, previous: str, timeout: float | None = None) -> str:
        def changed(_: webdriver.Chrome) -> str | None:
            ref = self.find(QR_BOX).get_attribute("data-ref")
            return ref if ref and ref != previous and not self.has(QR_RELOAD) else None

        return self.wait(changed, timeout)

    def qr_canvas_content(self) -> str | None:
        """Decode what the canvas shows (the QR as a phone camera would read it)."""
        url = self.driver.execute_script(
            "return arguments[0].toDataURL('image/png')", self.find(QR_CANVAS)
        )
        image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
        found = decode(image)
        return found[0].data.decode() if found else None

    # -- app ---------------------------------------------------------------------------------

    def wait_chat_list(self, timeout: float | None = None) -> None:
        self.wait(lambda d: self.has(GRID), timeout)

    def chat_rows(self) -> list[dict[str, Any]]:
        rows = []
        for row in self.all(self.row):
            badge = row.find_elements(By.CSS_SELECTOR, "span.unread-badge[aria-label]")
            rows.append({
                "name": row.find_element(By.CSS_SELECTOR, "span[title]").get_attribute("title"),
                "preview": row.find_element(By.CSS_SELECTOR, "span.preview").get_attribute("title"),
                "unread": badge[0].get_attribute("aria-label") if badge else None,
                "badge": badge[0].text if badge else None,
            })  # fmt: skip
        return rows

    def own_name(self) -> str | None:
        """Legacy: the header's name. 2026: opened from the Profile drawer (then closed again)."""
        if self.profile == "legacy":
            return self.find(PROFILE).get_attribute("title")
        self.find(PROFILE_BUTTON).click()
        name = self.find(f"{PROFILE_DRAWER} span[dir='auto'][title]").get_attribute("title")
        self.find(f'{PROFILE_DRAWER} div[role="button"][aria-label="Back"]').click()
        self.wait_gone(PROFILE_DRAWER)
        return name

    def wait_row(
        self, name: str, check: Callable[[dict[str, Any]], bool] = lambda r: True
    ) -> dict[str, Any]:
        return self.wait(
            lambda d: next((r for r in self.chat_rows() if r["name"] == name and check(r)), None)
        )

    def open_chat(self, name: str) -> None:
        self.wait_row(name)
        self.find(f'{self.row} span[title="{name}"]').click()
        self.wait(
            lambda d: self.has(COMPOSE) and self.find(MAIN_TITLE).get_attribute("title") == name
        )

    def messages(self) -> list[dict[str, Any]]:
        out = []
        for node in self.all(MESSAGE):
            icons = node.find_elements(By.CSS_SELECTOR, "span[data-icon^='msg-']")
            copyable = node.find_element(By.CSS_SELECTOR, "div.copyable-text[data-pre-plain-text]")
            out.append({
                "id": node.get_attribute("data-id"),
                "out": "message-out" in (node.get_attribute("class") or ""),
                "pre": copyable.get_attribute("data-pre-plain-text"),
                "text": node.find_element(By.CSS_SELECTOR, self.text).text,
                "icon": icons[0].get_attribute("data-icon") if icons else None,
                "label": icons[0].get_attribute("aria-label") if icons else None,
            })  # fmt: skip
        return out

    def wait_message(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        return self.wait(lambda d: next((m for m in self.messages() if check(m)), None))

    # -- compose -----------------------------------------------------------------------------

    def type_keys(self, text: str) -> None:
        self.find(COMPOSE).send_keys(text)

    def press_enter(self) -> None:
        self.find(COMPOSE).send_keys(Keys.ENTER)

    def shift_enter(self) -> None:
        ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(
            Keys.SHIFT
        ).perform()

    def insert_text(self, text: str) -> None:
        """What a worker does for emoji: focus the box, then CDP ``Input.insertText``."""
        self.find(COMPOSE).click()
        self.driver.execute_cdp_cmd("Input.insertText", {"text": text})

    def compose_text(self) -> str:
        text: str = self.driver.execute_script("return arguments[0].innerText", self.find(COMPOSE))
        return text

    def click_send(self) -> None:
        self.find(SEND).click()

    # -- dialogs -----------------------------------------------------------------------------

    def dialog_text(self) -> str:
        return self.find(DIALOG).text

    def click_dialog_button(self, label: str) -> None:
        self.find(DIALOG).find_element(By.XPATH, f".//button[normalize-space()='{label}']").click()

    def dismiss_popups(self) -> None:
        """Press the button of every popup on screen (the 2026 "fresh look" greeting, notices)."""
        while self.has(DIALOG):
            self.find(DIALOG).find_element(By.CSS_SELECTOR, "button").click()

    def by_xpath(self, xpath: str) -> WebElement:
        return self.wait(lambda d: next(iter(d.find_elements(By.XPATH, xpath)), None))

    # -- log in with phone number ------------------------------------------------------------

    def request_pairing_code(self, phone: str) -> None:
        """Landing -> "Log in with phone number" -> type the number -> Next."""
        self.by_xpath(LINK_PHONE).click()
        box = self.find(PHONE_INPUT)
        box.clear()
        box.send_keys(phone)
        self.by_xpath("//button[normalize-space()='Next']").click()

    def pairing_code(self) -> str:
        return self.wait(lambda d: self.find(LINK_CODE).get_attribute("data-link-code"))
