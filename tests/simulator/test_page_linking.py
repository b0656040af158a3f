"""Beyond the QR scan: the pairing code ("log in with phone number"); the passkey check."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By

from tests.simulator.conftest import BOTH, DriverFactory
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import LINK_CODE, PHONE_INPUT, QR_BOX, WaWeb

pytestmark = pytest.mark.e2e


@BOTH
def test_log_in_with_phone_number_shows_a_code_the_phone_types(
    sim: SimControl, page: WaWeb
) -> None:
    page.open()
    first_ref = page.qr_ref()
    page.request_pairing_code("12345")
    alert = page.find('[role="alert"]')
    assert alert.text == "Invalid phone number"
    assert page.has(PHONE_INPUT) and not page.has(LINK_CODE)

    box = page.find(PHONE_INPUT)
    box.clear()
    box.send_keys("+1 555 000 1111")
    page.by_xpath("//button[normalize-space()='Next']").click()
    value = page.pairing_code()
    assert re.fullmatch(r"([A-Z0-9],){7}[A-Z0-9]", value)
    code = value.replace(",", "")
    groups = page.all(f"{LINK_CODE} > div")
    assert [[s.text for s in g.find_elements(By.CSS_SELECTOR, "span")] for g in groups] == [
        list(code[:4]),
        list(code[4:]),
    ]
    assert not page.has(QR_BOX)
    devices = sim.get("/_sim/devices")
    assert [(d["linkCode"], d["linkPhone"], d["qrRef"]) for d in devices] == [(code, PHONE, None)]
    status, body = sim.request("POST", "/_sim/link", {"ref": first_ref, "phone": PHONE})
    assert (status, body["error"]["code"]) == (404, "unknown_ref")  # the QR is gone meanwhile

    device = sim.post("/_sim/link-code", {"code": code, "phone": PHONE, "displayName": "By Code"})
    assert device["status"] == "linked" and device["linkCode"] is None
    page.wait_chat_list()
    page.dismiss_popups()
    assert page.own_name() == "By Code"
    assert page.local_storage("last-wid-md") == f'"{PHONE}:1@c.us"'


def test_a_code_expires_back_to_the_qr_and_back_works(sim: SimControl, page: WaWeb) -> None:
    sim.post("/_sim/config", {"linkCodeMs": 700})
    page.open()
    page.qr_ref()
    page.request_pairing_code(f"+{PHONE}")
    code = page.pairing_code().replace(",", "")
    ref = page.qr_ref()  # back on the QR landing once the code expired
    assert not page.has(LINK_CODE)
    status, body = sim.request("POST", "/_sim/link-code", {"code": code, "phone": PHONE})
    assert (status, body["error"]["code"]) == (404, "unknown_code")
    assert sim.get("/_sim/devices")[0]["qrRef"] == ref

    sim.post("/_sim/config", {"linkCodeMs": 60_000})
    page.request_pairing_code(f"+{PHONE}")
    page.pairing_code()
    page.by_xpath("//span[@role='button'][normalize-space()='Log in with QR code']").click()
    fresh = page.next_qr_ref(ref)
    assert sim.get("/_sim/devices")[0]["linkCode"] is None
    sim.link(fresh)
    page.wait_chat_list()


def test_passkey_check_after_the_scan_asks_the_browser_and_waits(
    sim: SimControl, page: WaWeb
) -> None:
    sim.post("/_sim/config", {"passkeyAfterScan": True})
    page.open()
    device = sim.link(page.qr_ref())
    assert (device["status"], device["passkeyPhone"]) == ("pending", PHONE)
    page.by_xpath("//*[normalize-space()='Quick security check with Passkey']")
    assert not page.has(QR_BOX)
    # record what the page asks of WebAuthn (the real call would wait for an authenticator)
    page.driver.execute_script(
        "window.__asked = [];"
        "navigator.credentials.get = (options) => { window.__asked.push(options);"
        " return new Promise(() => {}); };"
    )
    page.by_xpath("//button[normalize-space()='Continue']").click()
    asked = page.wait(lambda d: d.execute_script(
        "const o = window.__asked[0]; return o && {rpId: o.publicKey.rpId,"
        " uv: o.publicKey.userVerification, allow: o.publicKey.allowCredentials.length,"
        " challenge: o.publicKey.challenge.byteLength, timeout: o.publicKey.timeout}"
    ))  # fmt: skip
    assert asked == {"rpId": "whatsapp.com", "uv": "required", "allow": 0, "challenge": 32,
                     "timeout": 600000}  # fmt: skip
    assert [d["status"] for d in sim.get("/_sim/devices")] == ["pending"]
    assert page.local_storage("last-wid-md") is None


def test_passkey_per_account_applies_to_its_next_device(
    sim: SimControl, linked: WaWeb, make_driver: DriverFactory
) -> None:
    sim.post(f"/_sim/accounts/{PHONE}/passkey", {"on": True})
    second = WaWeb(make_driver(), sim.base_url)
    second.open()
    sim.link(second.qr_ref())
    second.by_xpath("//*[normalize-space()='Quick security check with Passkey']")
    second.by_xpath("//button[normalize-space()='Continue']").click()
    # on http://127.0.0.1 the browser refuses rpId whatsapp.com at once: the page stays put
    assert second.find('[role="alert"]').text.startswith("Couldn't verify")
    assert len(sim.get("/_sim/accounts")[0]["devices"]) == 1  # only the first device
    assert linked.has("#pane-side")
