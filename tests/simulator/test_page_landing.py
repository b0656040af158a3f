"""The page before linking: unsupported browser, splash, QR codes, rotation and reload."""

from __future__ import annotations

import pytest

from tests.simulator.conftest import BOTH, DriverFactory
from tests.simulator.harness import SimControl
from tests.simulator.waweb import QR_BOX, QR_CANVAS, QR_RELOAD, STARTUP, WaWeb

pytestmark = pytest.mark.e2e


def test_headless_user_agent_gets_the_update_browser_page(
    sim: SimControl, make_driver: DriverFactory
) -> None:
    page = WaWeb(make_driver(user_agent=None), sim.base_url)  # headless Chromium's own UA
    page.open()
    body = page.text_of("body")
    assert "WhatsApp works with Google Chrome 85+" in body
    assert page.find("a[role=button]").text == "UPDATE GOOGLE CHROME"
    assert not page.has(QR_BOX)
    assert "HeadlessChrome" in page.driver.execute_script("return navigator.userAgent")


@BOTH
def test_splash_then_a_real_qr_of_the_ref_matching_the_control_api(
    sim: SimControl, page: WaWeb
) -> None:
    sim.post("/_sim/config", {"loadMs": 600})
    page.open()
    assert page.find(STARTUP).tag_name == "progress"
    ref = page.qr_ref()
    if page.profile == "legacy":
        first, noise, identity, adv = ref.split(",")
    else:  # the wa.me link, with the web client type as a fifth field
        assert ref.startswith("https://wa.me/settings/linked_devices#2@")
        first, noise, identity, adv, client = ref.split("#", 1)[1].split(",")
        assert client == "1"
    assert first.startswith("2@") and len(noise) == len(identity) == len(adv) == 44
    assert page.qr_canvas_content() == ref
    devices = sim.get("/_sim/devices")
    assert [(d["status"], d["qrRef"], d["connected"]) for d in devices] == [("pending", ref, True)]
    assert page.local_storage("WANoiseInfo") is None
    assert page.local_storage("last-wid-md") is None


def test_qr_rotates_with_the_configured_timings_then_offers_reload(
    sim: SimControl, page: WaWeb
) -> None:
    sim.post("/_sim/config", {"qrFirstMs": 1200, "qrRotateMs": 400, "qrCount": 3})
    page.open()
    refs = [page.qr_ref()]
    for _ in range(2):
        refs.append(page.next_qr_ref(refs[-1], timeout=5))
    assert len(set(refs)) == 3
    assert page.qr_canvas_content() == refs[-1]
    button = page.find(QR_RELOAD)
    assert "reload" in button.text.lower()
    assert (
        page.find(QR_BOX).get_attribute("data-ref") == refs[-1]
    )  # stale ref stays, like the real page
    assert sim.get("/_sim/devices")[0]["qrRef"] is None
    status, body = sim.request("POST", "/_sim/link", {"ref": refs[-1], "phone": "15550001111"})
    assert (status, body["error"]["code"]) == (404, "unknown_ref")

    sim.post("/_sim/config", {"qrFirstMs": 60_000})
    button.click()
    page.wait_gone(QR_RELOAD)
    fresh = page.next_qr_ref(refs[-1])
    assert fresh not in refs
    assert sim.get("/_sim/devices")[0]["qrRef"] == fresh
    sim.link(fresh)
    page.wait_chat_list()


def test_qr_never_appears_when_configured(sim: SimControl, page: WaWeb) -> None:
    sim.post("/_sim/config", {"qrNeverAppears": True})
    page.open()
    page.find(".qr-box [role=progressbar]")
    assert not page.has(QR_BOX) and not page.has(QR_CANVAS)
    assert sim.get("/_sim/devices")[0]["qrRef"] is None
