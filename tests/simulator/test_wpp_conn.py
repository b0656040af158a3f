"""The stand-in's connection side: QR codes as auth codes, pairing codes, identity, logout."""

from __future__ import annotations

import pytest

from simulator import ids
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import DIALOG, LINK_CODE, QR_BOX, WaWeb
from tests.simulator.wpp import Wpp

pytestmark = pytest.mark.e2e

AUTH_CODE = "WPP.conn.getAuthCode()"


def four_fields(data_ref: str) -> str:
    """wa-js's ``fullCode``: the data-ref's ref, noise key, identity key and adv secret."""
    return ",".join(data_ref.removeprefix(ids.QR_PREFIX).split(",")[:4])


def test_qr_codes_rotate_as_auth_code_changes_until_idle_and_refresh(
    sim: SimControl, wpp_page: WaWeb, wpp: Wpp
) -> None:
    sim.post("/_sim/config", {"qrFirstMs": 1500, "qrRotateMs": 1500, "qrCount": 2})
    wpp_page.open()
    wpp.wait_ready()
    first = wpp.wait_event("conn.auth_code_change", lambda code: code is not None)
    shown = wpp_page.qr_ref()
    ref, noise, identity, adv = four_fields(shown).split(",")
    assert first == {"type": "multidevice", "ref": ref, "staticKeyPair": noise,
                     "identityKeyPair": identity, "secretKey": adv,
                     "fullCode": four_fields(shown)}  # fmt: skip
    assert wpp.call(AUTH_CODE) == first
    assert wpp.events("conn.main_ready") and wpp.value("WPP.conn.isMainReady()") is True

    second = wpp.wait_event("conn.auth_code_change")
    assert second["ref"] != first["ref"]
    assert four_fields(wpp_page.next_qr_ref(shown)) == second["fullCode"]
    wpp.wait_event("conn.qrcode_idle")  # the last code expired: "Click to reload QR code"
    assert wpp.call(AUTH_CODE) is None
    assert sim.get("/_sim/devices")[0]["qrRef"] is None

    fresh = wpp.call("WPP.conn.refreshQR()")
    assert fresh["ref"] not in (first["ref"], second["ref"])
    assert four_fields(sim.get("/_sim/devices")[0]["qrRef"]) == fresh["fullCode"]
    sim.link(fresh["fullCode"])  # the phone scans what a worker shows from fullCode
    wpp.wait_event("conn.authenticated")
    assert len(wpp.events("conn.main_ready")) == 1  # once per page load


def test_after_the_scan_identity_comes_from_the_account(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    assert [e["name"] for e in wpp.events() if e["name"].startswith("conn.")][-1:] == [
        "conn.authenticated"
    ]
    assert wpp.value("WPP.conn.isAuthenticated()") is True
    assert wpp.value("WPP.conn.getMyUserId()._serialized") == f"{PHONE}@c.us"
    assert wpp.value("WPP.conn.getMyUserLid()._serialized") == ids.lid_of(PHONE)
    assert wpp.value("WPP.profile.getMyProfileName()") == "Acme Support"
    assert wpp.call(AUTH_CODE) is None
    assert wpp.call("WPP.conn.refreshQR()") is None
    again = wpp.call("WPP.conn.genLinkDeviceCodeForPhoneNumber(arguments[0])", PHONE)
    assert again["error"]["code"] == "cannot_get_code_for_already_authenticated"

    wpp_linked.open()  # a reload: the stored session is authenticated at once
    wpp.wait_ready()
    assert wpp.value("WPP.conn.isAuthenticated()") is True
    wpp.until(lambda: wpp.value("WPP.conn.isMainReady()"))
    assert "conn.authenticated" not in [e["name"] for e in wpp.events()]


def test_pairing_code_links_like_typing_it_on_the_phone(
    sim: SimControl, wpp_page: WaWeb, wpp: Wpp
) -> None:
    wpp_page.open()
    wpp.wait_ready()
    wpp_page.qr_ref()
    bad = wpp.call("WPP.conn.genLinkDeviceCodeForPhoneNumber('12')")
    assert bad["error"]["code"] == "invalid_phone"
    code = wpp.call("WPP.conn.startLinkDeviceCodeForPhoneNumber(arguments[0])", f"+{PHONE}")
    assert len(code) == 8 and set(code) <= set(ids.LINK_CODE_ALPHABET)
    assert wpp.wait_event("conn.link_code_change") == code
    shown = wpp_page.find(LINK_CODE).get_attribute("data-link-code")
    assert (shown or "").replace(",", "") == code
    device = sim.get("/_sim/devices")[0]
    assert (device["linkCode"], device["linkPhone"]) == (code, PHONE)

    plain = wpp.call("WPP.conn.genLinkDeviceCodeForPhoneNumber(arguments[0])", PHONE)
    assert plain != code and sim.get("/_sim/devices")[0]["linkCode"] == plain
    assert len(wpp.events("conn.link_code_change")) == 1  # only the managed flow emits it
    sim.post("/_sim/link-code", {"code": plain, "phone": PHONE, "displayName": "Acme Support"})
    wpp.wait_event("conn.authenticated")
    wpp_page.wait_chat_list()
    wpp.until(lambda: wpp.value("WPP.profile.getMyProfileName()") == "Acme Support")


def test_a_managed_pairing_code_that_expires_goes_back_to_auth_codes(
    sim: SimControl, wpp_page: WaWeb, wpp: Wpp
) -> None:
    sim.post("/_sim/config", {"linkCodeMs": 1000})
    wpp_page.open()
    wpp.wait_ready()
    first = wpp.wait_event("conn.auth_code_change", lambda code: code is not None)
    code = wpp.call("WPP.conn.startLinkDeviceCodeForPhoneNumber(arguments[0])", PHONE)
    assert wpp.wait_event("conn.link_code_change") == code
    assert wpp.call(AUTH_CODE) is None  # no QR code while the pairing code shows
    wpp.wait_event("conn.link_code_expired")
    after = wpp.wait_event("conn.auth_code_change")
    assert after["ref"] != first["ref"]
    assert four_fields(wpp_page.qr_ref()) == after["fullCode"]


def test_logout_through_wpp_and_from_the_phone(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    assert wpp.call("WPP.conn.logout()") is True
    assert sim.get("/_sim/accounts")[0]["devices"] == []
    new_ref = wpp_linked.qr_ref()  # the page went back to a QR code
    wpp.wait_ready()
    assert wpp.value("WPP.conn.isAuthenticated()") is False
    assert wpp.names_across_loads().count("conn.logout") == 1

    sim.link(new_ref)
    wpp_linked.wait_chat_list()
    if wpp_linked.profile == "2026":
        wpp_linked.click_dialog_button("Continue")
        wpp_linked.wait_gone(DIALOG)
    wpp.until(lambda: wpp.value("WPP.conn.isAuthenticated()"))
    sim.post(f"/_sim/accounts/{PHONE}/unlink")
    wpp_linked.find(QR_BOX)
    assert wpp.names_across_loads().count("conn.logout") == 2
