"""Where the page's passkey request waits for an admin: WhatsApp's ``navigator.credentials.get``
while a device links is held open until the worker completes it with an admin's assertion, or
cancels it.

Two ways: the relay extension in the worker's Chromium (``extension/``: the browser's WebAuthn
proxy, so the page gets a real ``PublicKeyCredential`` and WhatsApp's code is untouched), reached
over the DevTools socket; or, only when the extension cannot load, ``js/passkey/override.js``
injected before the page's own scripts, reached with WebDriver.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from selenium.webdriver.remote.webdriver import WebDriver

from shared.passkeys import PROXY_EXTENSION
from shared.settings import Settings
from worker.browser.devtools import DevToolsError, DevToolsTarget, debugger_address
from worker.browser.thread import BrowserThread

log = logging.getLogger(__name__)

SERVICE_WORKER = "/passkey-relay.js"  # the extension's service worker (extension/manifest.json)
EXTENSION_WAIT_S = 5.0  # it starts with the browser (measured: under 1 s)
OVERRIDE_JS = Path(__file__).with_name("js") / "passkey" / "override.js"


@dataclass(frozen=True)
class PageRequest:
    """A request the page made: its options as the browser serialized them, and its origin."""

    page_id: str
    details: dict[str, Any]
    origin: str | None


def _request(raw: Any) -> PageRequest | None:
    if not isinstance(raw, dict) or not raw.get("requestId"):
        return None
    try:
        details = json.loads(str(raw.get("requestDetailsJson") or "{}"))
    except ValueError:
        details = None
    if not isinstance(details, dict):
        log.warning("passkey request with unreadable options: %.80r", raw.get("requestDetailsJson"))
        return None
    override = (details.get("extensions") or {}).get(PROXY_EXTENSION) or {}
    origin = raw.get("origin") or override.get("origin")
    return PageRequest(str(raw["requestId"]), details, str(origin) if origin else None)


class PasskeyRelay(ABC):
    kind: ClassVar[str]

    @abstractmethod
    async def pending(self) -> PageRequest | None:
        """The newest request of the page still waiting, if any."""

    @abstractmethod
    async def complete(self, page_id: str, response_json: str) -> bool:
        """Resolve the page's request with ``PublicKeyCredential.toJSON()`` text; False when the
        request is gone (the page moved on)."""

    @abstractmethod
    async def cancel(self, page_id: str, name: str, message: str) -> bool:
        """Reject the page's request with ``DOMException(message, name)``."""

    async def close(self) -> None:
        return None


def _is_relay(target: dict[str, Any]) -> bool:
    url = str(target.get("url") or "")
    return (
        target.get("type") == "service_worker"
        and url.startswith("chrome-extension://")
        and (url.endswith(SERVICE_WORKER))
    )


class ExtensionRelay(PasskeyRelay):
    kind = "extension"

    def __init__(self, address: str | None) -> None:
        self._worker = DevToolsTarget(address, _is_relay, timeout_s=2.0)

    async def ready(self, wait_s: float) -> bool:
        """The extension's service worker runs and is the browser's WebAuthn proxy."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                status = await self._worker.evaluate("globalThis.wagwRelay.status()")
                if isinstance(status, dict) and status.get("attached") == "":
                    return True
                if isinstance(status, dict) and status.get("attached"):
                    log.warning("passkey relay extension not attached: %s", status["attached"])
                    return False
            except DevToolsError as exc:
                log.debug("passkey relay extension not reachable yet: %s", exc)
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.1)

    async def pending(self) -> PageRequest | None:
        if not await self._worker.present():  # asleep: a request would have woken it
            return None
        return _request(await self._call("pending()"))

    async def complete(self, page_id: str, response_json: str) -> bool:
        return bool(
            await self._call(f"complete({json.dumps(page_id)}, {json.dumps(response_json)})")
        )

    async def cancel(self, page_id: str, name: str, message: str) -> bool:
        args = ", ".join(json.dumps(a) for a in (page_id, name, message))
        return bool(await self._call(f"cancel({args})"))

    async def _call(self, call: str) -> Any:
        try:
            return await self._worker.evaluate(f"globalThis.wagwRelay.{call}", await_promise=True)
        except DevToolsError as exc:
            log.warning("passkey relay extension unreachable: %s", exc)
            return None

    async def close(self) -> None:
        await self._worker.close()


def install_override(driver: WebDriver) -> None:
    """Register the override for every new document (before the first ``get``)."""
    source = OVERRIDE_JS.read_text(encoding="utf-8")
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})


def _script(driver: WebDriver, call: str, *args: Any) -> Any:
    return driver.execute_script(
        f"const r = window.__wagwPasskey; return r ? r.{call}(...arguments) : null", *args
    )


class ScriptRelay(PasskeyRelay):
    kind = "script"

    def __init__(self, browser: BrowserThread) -> None:
        self._browser = browser

    async def pending(self) -> PageRequest | None:
        return _request(await self._browser.call(_script, "pending"))

    async def complete(self, page_id: str, response_json: str) -> bool:
        return bool(await self._browser.call(_script, "complete", page_id, response_json))

    async def cancel(self, page_id: str, name: str, message: str) -> bool:
        return bool(await self._browser.call(_script, "cancel", page_id, name, message))


async def open_relay(settings: Settings, browser: BrowserThread) -> PasskeyRelay | None:
    """The relay APP_PASSKEY_RELAY asks for, once the browser runs and before WhatsApp loads;
    None when it is off."""
    if settings.passkey_relay == "off":
        return None
    if settings.passkey_relay == "extension":
        relay = ExtensionRelay(await browser.call(debugger_address))
        if await relay.ready(EXTENSION_WAIT_S):
            return relay
        await relay.close()
        log.warning(
            "passkey relay extension did not load within %.0f s: the injected script instead",
            EXTENSION_WAIT_S,
        )
    await browser.call(install_override)
    return ScriptRelay(browser)
