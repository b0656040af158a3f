"""The admin's side of the passkey relay in a real browser: the connect dialog's passkey panel,
the signer extension's web.whatsapp.com tab, the console snippet, and the admin's passkey (a
CDP virtual authenticator in the tab that signs). Blocking: call through ``asyncio.to_thread``."""

from __future__ import annotations

from typing import Any

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.dashboard import Dashboard
from tests.support.passkeys import SoftPasskey

WAIT_S = 30.0
SIGNER_HOST = "wagw-passkey-signer"  # the extension's element on web.whatsapp.com


def add_authenticator(driver: webdriver.Chrome, key: SoftPasskey) -> None:
    """The admin's passkey in the current tab: a platform authenticator with user verification
    holding a resident credential for whatsapp.com."""
    driver.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    made = driver.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": options})
    credential = key.cdp_credential()
    driver.execute_cdp_cmd(
        "WebAuthn.addCredential",
        {"authenticatorId": made["authenticatorId"], "credential": credential},
    )


class PasskeyPanel:
    """The passkey part of the connect dialog, and the tabs the admin signs in."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard
        self.driver: webdriver.Chrome = dashboard.driver
        self.home = self.driver.current_window_handle

    def _wait(self, timeout_s: float = WAIT_S) -> WebDriverWait[webdriver.Chrome]:
        return WebDriverWait(
            self.driver, timeout_s, ignored_exceptions=[StaleElementReferenceException]
        )

    def _text(self, testid: str) -> str:
        found = self.driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')
        return found[0].text if found and found[0].is_displayed() else ""

    def state(self) -> dict[str, Any]:
        """What the panel shows now."""
        return {
            "shown": self._text("pk-stage") != "",
            "stage": self._text("pk-stage"),
            "deadline": self._text("pk-deadline"),
            "code": self._text("pk-code"),
            "error": self._text("pk-error"),
            "extension": self._text("pk-ext-hint"),
        }

    def wait_stage(self, fragment: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
        self._wait(timeout_s).until(lambda _: fragment in self._text("pk-stage"))
        return self.state()

    def wait_code(self, timeout_s: float = WAIT_S) -> str:
        return str(self._wait(timeout_s).until(lambda _: self._text("pk-code")))

    def wait_extension_ready(self) -> str:
        return str(
            self._wait().until(
                lambda _: "installed" in self._text("pk-ext-hint") and self._text("pk-ext-hint")
            )
        )

    # --- the extension ------------------------------------------------------------------------

    def sign_with_extension(self) -> str:
        """Press "Confirm with the extension"; returns the handle of the tab it opens."""
        before = set(self.driver.window_handles)
        self.page.click('[data-testid="pk-sign"]')
        opened = self._wait().until(lambda d: set(d.window_handles) - before)
        handle = next(iter(opened))
        self.driver.switch_to.window(handle)
        self._wait().until(lambda d: d.find_elements(By.CSS_SELECTOR, SIGNER_HOST))
        return handle

    def press_in_signer(self, button: str = "#sign") -> None:
        """In the signer's tab: press its button (the admin's click)."""

        def press(d: webdriver.Chrome) -> bool:
            host = d.find_element(By.CSS_SELECTOR, SIGNER_HOST)
            host.shadow_root.find_element(By.CSS_SELECTOR, button).click()
            return True

        self._wait().until(press)

    def signer_status(self) -> str:
        try:
            host = self.driver.find_element(By.CSS_SELECTOR, SIGNER_HOST)
            return str(host.shadow_root.find_element(By.CSS_SELECTOR, "[role=alert]").text)
        except NoSuchElementException:
            return ""

    def back_home(self) -> None:
        self.driver.switch_to.window(self.home)

    def wait_tab_closed(self, handle: str, timeout_s: float = WAIT_S) -> None:
        self._wait(timeout_s).until(lambda d: handle not in d.window_handles)
        self.back_home()

    # --- the console snippet ------------------------------------------------------------------

    def snippet(self) -> str:
        self.page.click('[data-testid="pk-console"] summary')
        box = self.driver.find_element(By.CSS_SELECTOR, '[data-testid="pk-snippet"]')
        return str(self._wait().until(lambda _: box.get_attribute("value")))

    def run_in_console(self, snippet: str, key: SoftPasskey) -> str:
        """What an admin does with the snippet: a new tab on https://web.whatsapp.com, the
        snippet run there (as the DevTools console runs it), its printed line copied."""
        self.driver.switch_to.new_window("tab")
        try:
            self.driver.get("https://web.whatsapp.com/")
            add_authenticator(self.driver, key)
            script = (
                "const done = arguments[arguments.length - 1];\n"
                f"({snippet}).then(done, (e) => done('ERROR ' + e));"
            )
            printed = str(self.driver.execute_async_script(script))
        finally:
            self.driver.close()
            self.back_home()
        return printed

    def paste_and_send(self, printed: str) -> None:
        box = self.driver.find_element(By.CSS_SELECTOR, '[data-testid="pk-answer"]')
        box.clear()
        # a long line: set it as a paste would, then tell the page
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            " arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
            box,
            printed,
        )
        self.page.click('[data-testid="pk-send"]')

    def cancel(self) -> None:
        self.page.click('[data-testid="pk-cancel"]')
