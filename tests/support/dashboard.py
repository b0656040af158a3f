"""Headless Chromium for the dashboard tests and the dashboard's page object (all its locators).

Selenium calls block: tests running the in-process gateway must call these through
``asyncio.to_thread`` so the event loop keeps serving the browser.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WAIT_S = 30.0


def make_chrome(tmp_path: Path) -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--no-first-run", "--disable-sync", "--disable-background-networking",
        "--window-size=1280,900", f"--user-agent={CHROME_UA}",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):  # fmt: skip
        opts.add_argument(arg)
    service = Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": str(tmp_path)})
    return webdriver.Chrome(service=service, options=opts)


def quit_chrome(driver: webdriver.Chrome) -> None:
    with contextlib.suppress(Exception):  # a dead browser must not fail the teardown
        driver.quit()


class Dashboard:
    """One browser tab on the dashboard. Methods return data; tests assert."""

    def __init__(self, driver: webdriver.Chrome, base_url: str) -> None:
        self.driver = driver
        self.base = base_url.rstrip("/")

    def _wait(self, timeout_s: float = WAIT_S) -> WebDriverWait[webdriver.Chrome]:
        return WebDriverWait(
            self.driver, timeout_s, ignored_exceptions=[StaleElementReferenceException]
        )

    def _find(self, css: str) -> WebElement:
        return self._wait().until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def _visible(self, css: str, timeout_s: float = WAIT_S) -> WebElement:
        def shown(d: webdriver.Chrome) -> WebElement | bool:
            found = d.find_elements(By.CSS_SELECTOR, css)
            return found[0] if found and found[0].is_displayed() else False

        return self._wait(timeout_s).until(shown)  # type: ignore[return-value]

    def _click(self, css: str, within: str = "") -> None:
        """Click, finding the element again if a live re-render replaced it meanwhile."""

        def click(d: webdriver.Chrome) -> bool:
            root = d.find_element(By.CSS_SELECTOR, within) if within else d
            root.find_element(By.CSS_SELECTOR, css).click()
            return True

        self._wait().until(click)

    def open(self, hash_route: str = "") -> None:
        self.driver.get(f"{self.base}/{hash_route}")

    def go(self, hash_route: str) -> None:
        self.driver.execute_script("location.hash = arguments[0]", hash_route)

    def view(self) -> str:
        return str(self._find("#view").get_attribute("data-view"))

    def wait_view(self, name: str) -> None:
        self._wait().until(lambda d: self.view() == name)

    def login(self, email: str, password: str) -> None:
        self.open("#/login")
        for css, value in (("#login-email", email), ("#login-password", password)):
            field = self._visible(css)
            field.clear()
            field.send_keys(value)
        self._find("#login-submit").click()

    def logout(self) -> None:
        self._visible("#logout").click()
        self.wait_view("login")

    def login_error(self) -> str:
        return self._wait().until(lambda d: self._find("#login-error").text)

    def nav_links(self) -> list[str]:
        self._find("#nav a")
        return [
            a.get_attribute("data-testid") or ""
            for a in self.driver.find_elements(By.CSS_SELECTOR, "#nav a")
        ]

    def session_ids(self) -> list[str]:
        self._find("[data-testid=sessions-table]")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=session-row]")
        return [r.get_attribute("data-session-id") or "" for r in rows]

    def wait_session_rows(self, count: int) -> list[str]:
        self._wait().until(lambda d: len(self.session_ids()) == count)
        return self.session_ids()

    def wait_session_state(self, session_id: str, state: str, timeout_s: float = 60) -> None:
        css = f'[data-session-id="{session_id}"] [data-testid=session-state]'
        self._wait(timeout_s).until(lambda d: self._find(css).get_attribute("data-state") == state)

    def session_phone(self, session_id: str) -> str:
        return self._find(f'[data-session-id="{session_id}"] [data-testid=session-phone]').text

    def create_session(self, name: str) -> None:
        self._visible("#new-session-name").send_keys(name)
        self._find("#new-session-create").click()

    def connect(self, session_id: str) -> None:
        self._click(f'[data-session-id="{session_id}"] [data-testid=connect]')

    def qr_modal_session(self) -> str:
        return str(self._visible("#qr-modal").get_attribute("data-session-id"))

    def wait_qr_image(self, timeout_s: float = 60) -> str:
        img = self._visible("#qr-image", timeout_s)
        return str(img.get_attribute("src"))

    def wait_qr_changed(self, previous: str, timeout_s: float = 30) -> str:
        img = self._find("#qr-image")
        self._wait(timeout_s).until(lambda d: img.get_attribute("src") not in (previous, None))
        return str(img.get_attribute("src"))

    def wait_qr_modal_closed(self, timeout_s: float = 60) -> None:
        self._wait(timeout_s).until(lambda d: not self._find("#qr-modal").is_displayed())

    def connect_from_session_page(self) -> None:
        self._click("[data-testid=cmd-connect]")

    def ask_pairing_code(self, phone: str) -> None:
        """In the connect dialog: "Link with phone number", type the number, ask for the code."""
        if not self._find("#pair-form").is_displayed():
            self._click("#pair-toggle")
        field = self._visible("#pair-phone")
        field.clear()
        field.send_keys(phone)
        self._click("#pair-submit")

    def pairing_error(self) -> str:
        return str(self._visible("#pair-error").text)

    def pairing(self) -> dict[str, Any]:
        """What the connect dialog shows of the pairing code now."""
        expiry = self._find("#pair-expiry")
        return {
            "shown": self._find("#pair-result").is_displayed(),
            "code": self._find("#pair-code").get_attribute("data-code"),
            "text": self._find("#pair-code").text,
            "expiry": expiry.text,
            "expired": expiry.get_attribute("data-expired") == "true",
            "hint": self._find("#pair-hint").text,
            "qr_visible": self._find("#qr-image").is_displayed(),
            "form_visible": self._find("#pair-form").is_displayed(),
            "status": self._find("#qr-status").text,
        }

    def wait_pairing_code(self, code: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
        self._wait(timeout_s).until(
            lambda d: (
                self._find("#pair-code").get_attribute("data-code") == code
                and self._find("#pair-result").is_displayed()
            )
        )
        return self.pairing()

    def wait_pairing_expired(self, timeout_s: float = WAIT_S) -> dict[str, Any]:
        self._wait(timeout_s).until(
            lambda d: self._find("#pair-expiry").get_attribute("data-expired") == "true"
        )
        return self.pairing()

    def guidance(self, within: str = "#view", timeout_s: float = WAIT_S) -> dict[str, str]:
        """The guidance block shown in ``within`` (the view, or ``#qr-modal``), once shown."""
        block = self._visible(f"{within} [data-testid=guidance]", timeout_s)
        details = block.find_elements(By.CSS_SELECTOR, "[data-testid=guidance-detail]")
        return {
            "reason": str(block.get_attribute("data-reason")),
            "title": block.find_element(By.CSS_SELECTOR, "[data-testid=guidance-title]").text,
            "text": block.find_element(By.CSS_SELECTOR, "[data-testid=guidance-text]").text,
            "detail": details[0].text if details else "",
        }

    def wait_guidance_reason(self, reason: str, within: str = "#view") -> dict[str, str]:
        self._wait().until(lambda d: self.guidance(within)["reason"] == reason)
        return self.guidance(within)

    def has_guidance(self, within: str = "#view") -> bool:
        found = self.driver.find_elements(By.CSS_SELECTOR, f"{within} [data-testid=guidance]")
        return bool(found) and found[0].is_displayed()

    def drift_items(self) -> dict[str, str]:
        """On a session page: drift kind -> the line shown for it (empty when there is none)."""
        self._find("[data-testid=detail-drift]")
        items = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=drift-item]")
        return {str(i.get_attribute("data-kind")): i.text for i in items}

    def wait_drift_items(self, count: int) -> dict[str, str]:
        self._wait().until(lambda d: len(self.drift_items()) == count)
        return self.drift_items()

    def ops_drift(self, session_id: str) -> str:
        """On the operator page: the page-drift cell of a session's row."""
        css = (
            f'[data-testid=ops-session-row][data-session-id="{session_id}"] [data-testid=ops-drift]'
        )
        return str(self._find(css).text)

    def ops_bridge(self, session_id: str) -> str:
        """On the operator page: the bridge cell of a session's row."""
        row = f'[data-testid=ops-session-row][data-session-id="{session_id}"]'
        return str(self._find(f"{row} [data-testid=ops-bridge]").text)

    def chat_ids(self) -> list[str]:
        items = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=chat-item]")
        return [i.get_attribute("data-chat-id") or "" for i in items]

    def wait_chat(self, timeout_s: float = WAIT_S) -> str:
        """The first chat of the list, once there is one."""
        ids: list[str] = self._wait(timeout_s).until(lambda d: self.chat_ids())
        return ids[0]

    def wait_message(self, text: str, timeout_s: float = WAIT_S) -> WebElement:
        def bubble(d: webdriver.Chrome) -> WebElement | bool:
            for el in d.find_elements(By.CSS_SELECTOR, "[data-testid=message]"):
                if el.find_element(By.CSS_SELECTOR, "[data-testid=message-body]").text == text:
                    return el
            return False

        return self._wait(timeout_s).until(bubble)  # type: ignore[return-value]

    def message_status(self, text: str) -> str:
        el = self.wait_message(text)
        tick = el.find_element(By.CSS_SELECTOR, "[data-testid=msg-status]")
        return str(tick.get_attribute("data-status"))

    def message_tick(self, text: str) -> dict[str, str]:
        tick = self.wait_message(text).find_element(By.CSS_SELECTOR, "[data-testid=msg-status]")
        return {
            "status": str(tick.get_attribute("data-status")),
            "title": str(tick.get_attribute("title")),
            "text": tick.text,
        }

    def wait_message_status(self, text: str, status: str, timeout_s: float = WAIT_S) -> None:
        self._wait(timeout_s).until(lambda d: self.message_status(text) == status)

    def message_bodies(self) -> list[str]:
        self._find("[data-testid=messages]")
        els = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=message-body]")
        return [e.text for e in els]

    def wait_message_count(self, count: int) -> list[str]:
        self._wait().until(lambda d: len(self.message_bodies()) == count)
        return self.message_bodies()

    def load_older(self) -> None:
        self._visible("[data-testid=load-older]")
        self._click("[data-testid=load-older]")

    def has_load_older(self) -> bool:
        return bool(self._find("[data-testid=load-older]").is_displayed())

    def chat_title(self) -> str:
        return str(self._wait().until(lambda d: self._find("[data-testid=chat-title]").text))

    def set_language(self, lang: str) -> None:
        self.driver.execute_script(
            "const s = document.getElementById('lang'); s.value = arguments[0];"
            "s.dispatchEvent(new Event('change'))",
            lang,
        )

    def nav_texts(self) -> list[str]:
        return [a.text for a in self.driver.find_elements(By.CSS_SELECTOR, "#nav a")]

    def grant(self, manager_id: str, rights: dict[str, bool]) -> None:
        """On a session page: set a manager's rights and save them."""
        row = self._find(f'[data-testid=access-row][data-manager-id="{manager_id}"]')
        for right, wanted in rights.items():
            box = row.find_element(By.CSS_SELECTOR, f'input[data-right="{right}"]')
            if box.is_selected() != wanted:
                box.click()
        row.find_element(By.CSS_SELECTOR, "[data-testid=access-save]").click()
        self._wait().until(lambda d: self._find("#toast").is_displayed())

    def session_detail(self, field: str) -> str:
        return str(self._wait().until(lambda d: self._find(f"[data-testid=detail-{field}]").text))

    def wait_worker(self, worker_id: str) -> dict[str, Any]:
        """On the operator page: the worker's session id and whether it can be restarted."""
        row = self._find(f'[data-testid=worker-row][data-worker-id="{worker_id}"]')
        cells = row.find_elements(By.CSS_SELECTOR, "td")
        button = row.find_element(By.CSS_SELECTOR, "[data-testid=worker-restart]")
        return {"session": cells[2].text, "restartable": button.is_enabled()}

    def console_errors(self) -> list[str]:
        logs: list[dict[str, Any]] = self.driver.get_log("browser")  # type: ignore[no-untyped-call]
        # network failures (an expected 401 on a wrong password) are not script errors
        return [
            str(e["message"])
            for e in logs
            if e.get("level") == "SEVERE" and "Failed to load resource" not in str(e["message"])
        ]

    def can_compose(self) -> bool:
        """Whether the send box is usable, once the caller's rights are known."""
        box = self._visible("#compose")
        can_write = self._wait().until(lambda d: box.get_attribute("data-can-write"))
        return can_write == "true" and bool(box.is_enabled())

    def type_message(self, text: str) -> None:
        box = self._visible("#compose")
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if i:
                box.send_keys(Keys.SHIFT, Keys.ENTER)  # a new line, not a send
            box.send_keys(line)
        box.send_keys(Keys.ENTER)

    def socket_transport(self) -> str:
        script = (
            "const s = window.__waSocket;"
            "return s && s.connected ? s.io.engine.transport.name : null"
        )
        return str(self._wait().until(lambda d: d.execute_script(script)))

    def cached_urls(self) -> list[str]:
        script = """
        const done = arguments[arguments.length - 1];
        (async () => {
          const urls = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const req of await cache.keys()) urls.push(req.method + " " + req.url);
          }
          return urls;
        })().then(done, (err) => done(["error " + err]));
        """
        result: list[str] = self.driver.execute_async_script(script)
        return result

    def wait_service_worker(self) -> None:
        script = "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
        self._wait().until(lambda d: d.execute_script(script))

    def run_script(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)
