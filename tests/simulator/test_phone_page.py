"""The human phone page: link a QR code by clicking, write as a contact, see acks."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.simulator.conftest import DriverFactory
from tests.simulator.harness import SimControl
from tests.simulator.waweb import WaWeb

pytestmark = pytest.mark.e2e


def test_a_person_links_a_device_and_chats_as_a_contact(
    sim: SimControl, page: WaWeb, make_driver: DriverFactory
) -> None:
    page.open()
    page.qr_ref()
    phone = WaWeb(make_driver(), sim.base_url)
    phone.open("/_sim/phone")
    device = phone.find('[data-testid="pending-device"]')
    number = device.find_element(By.CSS_SELECTOR, "input[name=phone]")
    number.clear()
    number.send_keys("15550002222")
    device.find_element(By.CSS_SELECTOR, "button.link").click()
    page.wait_chat_list()
    page.click_dialog_button("Continue")  # "A fresh look for WhatsApp Web"
    assert sim.get("/_sim/devices")[0]["phone"] == "15550002222"

    form = phone.find('[data-testid="inbound-form"]')
    form.find_element(By.NAME, "from").send_keys("4915112345678")
    form.find_element(By.NAME, "name").send_keys("Carol")
    form.find_element(By.NAME, "text").send_keys("Written on the phone page")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page.open_chat("Carol")
    page.type_keys("Answer from the computer")
    page.press_enter()
    phone.wait(
        lambda d: "Answer from the computer" in phone.text_of('[data-testid="phone-messages"]')
    )
    mark_read = phone.wait(
        lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='mark read']") or None
    )
    mark_read[0].click()
    page.wait_message(lambda m: m["out"] and m["label"] == "Read")
    assert "read on the computer" in phone.text_of('[data-testid="phone-messages"]')
