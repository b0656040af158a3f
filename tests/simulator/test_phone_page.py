"""The human phone page: link by QR or pairing code, write as a contact (or its lid), popups."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from simulator import ids
from tests.simulator.conftest import DriverFactory
from tests.simulator.harness import SimControl
from tests.simulator.waweb import DIALOG, WaWeb

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

    mine = phone.find('[data-testid="outbound-form"]')  # the owner writes on the phone
    assert mine.find_element(By.NAME, "to").get_attribute("value") == "4915112345678@c.us"
    mine.find_element(By.NAME, "text").send_keys("Sent from my phone")
    mine.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page.wait_message(lambda m: m["out"] and m["text"] == "Sent from my phone")
    phone.wait(lambda d: "from this phone" in phone.text_of('[data-testid="phone-messages"]'))
    assert [s["text"] for s in sim.sent("15550002222")] == ["Answer from the computer"]


def test_a_person_types_a_pairing_code_writes_via_lid_and_shows_a_popup(
    sim: SimControl, page: WaWeb, make_driver: DriverFactory
) -> None:
    page.open()
    page.qr_ref()
    page.request_pairing_code("+15550003333")
    code = page.pairing_code().replace(",", "")
    phone = WaWeb(make_driver(), sim.base_url)
    phone.open("/_sim/phone")
    device = phone.wait(
        lambda d: next(
            (n for n in phone.all('[data-testid="pending-device"]') if "+15550003333" in n.text),
            None,
        )
    )
    device.find_element(By.NAME, "code").send_keys(f"{code[:4]}-{code[4:]}")
    device.find_element(By.CSS_SELECTOR, "button.enter-code").click()
    page.wait_chat_list()
    assert sim.get("/_sim/devices")[0]["phone"] == "15550003333"
    page.dismiss_popups()

    form = phone.find('[data-testid="inbound-form"]')
    form.find_element(By.NAME, "from").send_keys("4915112345678")
    form.find_element(By.NAME, "name").send_keys("Dora")
    Select(form.find_element(By.NAME, "via")).select_by_value("lid")
    Select(form.find_element(By.NAME, "idForm")).select_by_value("legacy")
    form.find_element(By.NAME, "text").send_keys("Written under my lid")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page.open_chat("Dora")
    lid = ids.lid_of("4915112345678")
    row = page.wait_message(lambda m: m["text"] == "Written under my lid")
    assert row["id"].startswith(f"false_{lid}_")
    phone.wait(lambda d: lid in phone.text_of('[data-testid="phone-contacts"]'))

    dialog = phone.find('[data-testid="dialog-form"]')
    Select(dialog.find_element(By.NAME, "kind")).select_by_value("unknown")
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert page.dialog_text().startswith("Review our updated terms")
    page.click_dialog_button("Review")
    page.wait_gone(DIALOG)
