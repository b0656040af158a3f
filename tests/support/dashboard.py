"""Headless Chromium for the dashboard tests and the dashboard's page object (all its locators).

Selenium calls block: tests running the in-process gateway must call these through
``asyncio.to_thread`` so the event loop keeps serving the browser.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

PHONE = (390, 844)
DESKTOP = (1280, 900)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WAIT_S = 30.0


def make_chrome(
    tmp_path: Path,
    size: tuple[int, int] = DESKTOP,
    languages: str = "en-US,en",
    extra_args: Sequence[str] = (),
) -> webdriver.Chrome:
    """Headless Chromium; a width under 600 px is a phone (touch, mobile viewport rules).

    ``extra_args``: more flags (e.g. ``--load-extension``).

    Its profile and scratch files go to a short directory of its own (``quit_chrome`` removes
    it): Chromium's singleton socket lives there, and a socket path over 107 bytes (a deep pytest
    ``tmp_path``, as under xdist) makes Chromium exit at start."""
    del tmp_path  # kept for callers; the short directory replaces it
    home = Path(tempfile.mkdtemp(prefix="wagw-chr-"))
    width, height = size
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--no-first-run", "--disable-sync", "--disable-background-networking",
        f"--window-size={width},{height}", f"--user-agent={CHROME_UA}",
        f"--lang={languages.partition(',')[0]}", f"--user-data-dir={home / 'profile'}",
        *extra_args,
    ):  # fmt: skip
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"intl.accept_languages": languages})
    service = Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": str(home)})
    driver = webdriver.Chrome(service=service, options=opts)
    _HOMES[id(driver)] = home
    if width < 600:
        metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
    return driver


_HOMES: dict[int, Path] = {}


def quit_chrome(driver: webdriver.Chrome) -> None:
    with contextlib.suppress(Exception):  # a dead browser must not fail the teardown
        driver.quit()
    home = _HOMES.pop(id(driver), None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


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

    def wait_visible(self, css: str, timeout_s: float = WAIT_S) -> None:
        self._visible(css, timeout_s)

    def wait_gone(self, css: str, timeout_s: float = WAIT_S) -> None:
        self._wait(timeout_s).until(lambda d: not d.find_elements(By.CSS_SELECTOR, css))

    def click(self, css: str) -> None:
        self._click(css)

    def count(self, css: str) -> int:
        return len(self.driver.find_elements(By.CSS_SELECTOR, css))

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

    def open_menu(self) -> None:
        """On a narrow screen the menu (language, switches, log out) folds behind a button."""
        toggle = self._find("#menu-toggle")
        if toggle.is_displayed() and toggle.get_attribute("aria-expanded") != "true":
            toggle.click()

    def logout(self) -> None:
        self.open_menu()
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
        # in one script: the list re-renders as events come, so rows found one call earlier
        # may be gone (stale) by the next
        ids: list[str] = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('[data-testid=session-row]'))"
            ".map((r) => r.getAttribute('data-session-id') || '')"
        )
        return ids

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
        image = tick.find_element(By.CSS_SELECTOR, "svg")
        return {
            "status": str(tick.get_attribute("data-status")),
            "title": str(tick.get_attribute("title")),
            "label": str(image.get_attribute("aria-label")),
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
        """Scroll the conversation to its top, as a reader does: older history loads there."""
        self._visible("[data-testid=load-older]")
        self.driver.execute_script(
            "const s = document.querySelector('[data-testid=scroller]'); s.scrollTop = 0;"
            "s.dispatchEvent(new Event('scroll'))"
        )

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
        session = row.find_element(By.CSS_SELECTOR, "[data-testid=worker-session]")
        button = row.find_element(By.CSS_SELECTOR, "[data-testid=worker-restart]")
        return {"session": session.text, "restartable": button.is_enabled()}

    def host_row(self, host: str) -> dict[str, str]:
        """On the operator page: a host's free and busy workers, whether it drains."""
        row = self._find(f'[data-testid=host-row][data-host="{host}"]')
        cells = {k: row.find_element(By.CSS_SELECTOR, f"[data-testid=host-{k}]").text
                 for k in ("free", "busy")}  # fmt: skip
        return cells | {"draining": row.get_attribute("data-draining") or ""}

    def drain_host(self, host: str) -> None:
        """Press the host's drain button and accept the confirmation."""
        self._click(f'[data-testid=host-row][data-host="{host}"] [data-testid=host-drain]')
        self._wait().until(lambda d: d.switch_to.alert).accept()

    def wait_host_draining(self, host: str, draining: bool) -> None:
        css = f'[data-testid=host-row][data-host="{host}"]'
        want = str(draining).lower()
        self._wait().until(lambda d: self._find(css).get_attribute("data-draining") == want)

    def wait_session_reason(self, session_id: str, reason: str) -> str:
        """The text of a session row's state badge once it shows ``reason``."""
        css = f'[data-session-id="{session_id}"] [data-testid=session-state]'
        self._wait().until(lambda d: self._find(css).get_attribute("data-reason") == reason)
        return self._find(css).text

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

    # --- phone and desktop layout, accessibility -----------------------------------------

    def overflow_px(self) -> int:
        """How far the page is wider than the screen (0: no horizontal scrolling)."""
        script = (
            "const d = document.documentElement;"
            "return Math.max(d.scrollWidth, document.body.scrollWidth) - d.clientWidth"
        )
        return int(self.driver.execute_script(script))

    def settle(self) -> None:
        """Wait until the view's requests and renders are done (no toast of an error either)."""
        script = (
            "const done = arguments[arguments.length - 1];"
            "requestAnimationFrame(() => setTimeout(() => done(document.readyState), 300))"
        )
        self._wait().until(lambda d: d.execute_async_script(script) == "complete")

    def axe(self) -> list[dict[str, Any]]:
        """axe-core over the page as it is now, every rule up to WCAG AA on (also the experimental
        ones, as Lighthouse turns on some): its serious and critical violations."""
        if not self.driver.execute_script("return Boolean(window.axe)"):
            self.driver.execute_script(AXE.read_text())
        script = """
        const done = arguments[arguments.length - 1];
        const rules = Object.fromEntries(axe.getRules().map((r) =>
          [r.ruleId, { enabled: !r.tags.includes("wcag2aaa") }]));
        axe.run(document, { resultTypes: ["violations"], rules }).then(
          (r) => done(r.violations
            .filter((v) => ["serious", "critical"].includes(v.impact))
            .map((v) => ({ id: v.id, impact: v.impact,
              nodes: v.nodes.map((n) => n.target.join(" ")) }))),
          (err) => done([{ id: "axe-error", impact: "critical", nodes: [String(err)] }]));
        """
        found: list[dict[str, Any]] = self.driver.execute_async_script(script)
        return found

    def topbar_visible(self) -> bool:
        return bool(self._find("#topbar").is_displayed())

    def pane_visible(self, name: str) -> bool:
        """The inbox's panes: "list" or "chat"."""
        return bool(self._find(f"[data-testid=pane-{name}]").is_displayed())

    def chat_back(self) -> None:
        self._click("[data-testid=chat-back]")

    def open_chat(self, chat_id: str) -> None:
        """Tap a chat in the list."""
        self._click(f'[data-testid=chat-item][data-chat-id="{chat_id}"] a')

    def html_lang(self) -> str:
        return str(self.driver.execute_script("return document.documentElement.lang"))

    def text_of(self, css: str) -> str:
        return str(self._visible(css).text)

    def menu_language(self, lang: str) -> None:
        """Choose a language in the menu, as a person does."""
        self.open_menu()
        Select(self._visible("#lang")).select_by_value(lang)

    # --- notifications, tabs -------------------------------------------------------------

    def grant_notifications(self) -> None:
        origin = self.base.rstrip("/")
        params = {"permissions": ["notifications"], "origin": origin}
        self.driver.execute_cdp_cmd("Browser.grantPermissions", params)

    def notifications(self) -> list[dict[str, str]]:
        """The notifications this origin's service worker shows now."""
        script = """
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready
          .then((r) => r.getNotifications())
          .then((ns) => done(ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag,
            url: (n.data && n.data.url) || "" }))), (err) => done([{ title: "error " + err }]));
        """
        found: list[dict[str, str]] = self.driver.execute_async_script(script)
        return found

    def wait_notifications(self, count: int, timeout_s: float = WAIT_S) -> list[dict[str, str]]:
        self._wait(timeout_s).until(lambda d: len(self.notifications()) >= count)
        return self.notifications()

    def new_tab(self, url: str) -> str:
        """Open ``url`` in a new tab in front; returns the previous tab's handle."""
        previous = self.driver.current_window_handle
        self.driver.switch_to.new_window("tab")
        self.driver.get(url)
        return previous

    def set_offline(self, offline: bool) -> None:
        """Cut (or give back) the browser's network, as a phone losing its signal."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        conditions = {
            "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1,
        }  # fmt: skip
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)

    def banner(self) -> dict[str, Any]:
        el = self._find("#banner")
        return {"shown": el.is_displayed(), "state": el.get_attribute("data-state")}

    def wait_banner(self, state: str) -> None:
        """``state``: "offline", "reconnecting", or "" (hidden)."""
        self._wait().until(lambda d: self.banner() == {"shown": bool(state), "state": state})

    def switch_to_first_tab(self) -> None:
        self.driver.switch_to.window(self.driver.window_handles[0])

    # --- typing, keyboard ----------------------------------------------------------------

    def type_into(self, css: str, text: str) -> None:
        field = self._visible(css)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(Keys.DELETE)
        if text:
            field.send_keys(text)

    def press(self, css: str, key: str) -> None:
        self._visible(css).send_keys(key)

    def value_of(self, css: str) -> str:
        return str(self._find(css).get_attribute("value"))

    def select_value(self, css: str, value: str) -> None:
        Select(self._visible(css)).select_by_value(value)

    def keys(self, *keys: str) -> None:
        """Type into whatever has the focus, as a keyboard does."""
        ActionChains(self.driver).send_keys(*keys).perform()

    def focused_id(self) -> str:
        return str(self.driver.execute_script("return document.activeElement.id"))

    def tab_to(self, css: str, limit: int = 60) -> None:
        """Press Tab until the element matching ``css`` has the focus."""
        script = "return document.activeElement === document.querySelector(arguments[0])"
        self._visible(css)
        for _ in range(limit):
            if self.driver.execute_script(script, css):
                return
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
        raise AssertionError(f"Tab never reached {css}")

    # --- chat list -----------------------------------------------------------------------

    def chat_names(self) -> list[str]:
        els = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=chat-item] .chat-name")
        return [str(e.get_attribute("textContent")) for e in els]

    def wait_chat_names(self, names: list[str]) -> list[str]:
        self._wait().until(lambda d: self.chat_names() == names)
        return self.chat_names()

    def wait_chat_count(self, count: int) -> None:
        self._wait().until(lambda d: len(self.chat_names()) == count)

    def wait_hits(self, count: int) -> list[dict[str, str]]:
        """The message search's hits once there are ``count``: chat id and chat name."""

        def hits(d: webdriver.Chrome) -> list[dict[str, str]] | Literal[False]:
            els = d.find_elements(By.CSS_SELECTOR, "[data-testid=message-hit]")
            if len(els) != count or not els[0].is_displayed():
                return False
            return [
                {
                    "chat": str(e.get_attribute("data-chat-id")),
                    "text": str(e.find_element(By.CSS_SELECTOR, ".chat-name").text),
                }
                for e in els
            ]

        found: list[dict[str, str]] = self._wait().until(hits)
        return found

    def wait_count(self, css: str, count: int) -> None:
        self._wait().until(lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) == count)

    def title(self) -> str:
        return str(self.driver.title)

    def wait_title(self, text: str) -> None:
        self._wait().until(lambda d: d.title == text)

    # --- the keyed message list ----------------------------------------------------------

    def mark_bubbles(self) -> int:
        """Tag every message element now on screen; returns how many."""
        script = (
            "const els = document.querySelectorAll('[data-testid=message]');"
            "els.forEach((el, i) => { el.__mark = i + 1; }); return els.length"
        )
        return int(self.driver.execute_script(script))

    def marked_bubbles_kept(self) -> dict[str, int]:
        """How many tagged elements are still in the list, and how many messages are untagged."""
        script = (
            "const els = [...document.querySelectorAll('[data-testid=message]')];"
            "return { kept: els.filter((el) => el.__mark).length,"
            "  fresh: els.filter((el) => !el.__mark).length }"
        )
        found: dict[str, int] = self.driver.execute_script(script)
        return found

    def scroll_messages_to_top(self) -> None:
        self.driver.execute_script(
            "const s = document.querySelector('[data-testid=scroller]'); s.scrollTop = 0;"
            "s.dispatchEvent(new Event('scroll'))"
        )

    def jump_count(self) -> str:
        return str(self._find("[data-testid=jump-count]").get_attribute("textContent"))

    def wait_jump_count(self, text: str) -> None:
        self._wait().until(lambda d: self.jump_count() == text)

    def jump_to_bottom(self) -> None:
        self._click("[data-testid=jump-bottom]")

    def wait_until_at_bottom(self) -> None:
        self._wait().until(lambda d: self.at_bottom())

    def at_bottom(self) -> bool:
        script = (
            "const s = document.querySelector('[data-testid=scroller]');"
            "return s.scrollHeight - s.scrollTop - s.clientHeight < 80"
        )
        return bool(self.driver.execute_script(script))

    def day_separators(self) -> list[str]:
        els = self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=day-separator]")
        return [e.text for e in els]

    def has_unread_divider(self) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, "[data-testid=unread-divider]"))
