"""The bridge setting: the stand-in replaces the injected wa-js (``on``) or leaves it (``off``)."""

from __future__ import annotations

import pytest

from tests.simulator.harness import SimControl
from tests.simulator.waweb import WaWeb
from tests.simulator.wpp import Wpp

pytestmark = pytest.mark.e2e


def test_bridge_on_replaces_the_injected_wajs_with_a_ready_stand_in(
    sim: SimControl, wpp_page: WaWeb, wpp: Wpp
) -> None:
    assert sim.get("/_sim/config")["bridge"] == "on"
    wpp_page.open()
    wpp.wait_ready()
    assert wpp.value("window.__injectedWPP.version") == "4.6.0"  # the real wa-js ran first
    assert wpp.value("window.__injectedWPP.isReady") is False  # no WhatsApp modules to hook
    assert wpp.value("window.WPP !== window.__injectedWPP")
    assert wpp.value("[WPP.version, WPP.isInjected, WPP.isReady, WPP.isFullReady]") == [
        "4.6.0", True, True, True,
    ]  # fmt: skip
    assert wpp.value("WPP.conn.isAuthenticated()") is False
    assert wpp.value("WPP.conn.getMyUserId()") is None
    assert wpp.call("WPP.conn.getMyUserLid()")["error"]["code"] == "not_authenticated"


def test_bridge_off_leaves_the_injected_wajs_never_ready(
    sim: SimControl, wpp_page: WaWeb, wpp: Wpp
) -> None:
    sim.post("/_sim/config", {"bridge": "off"})
    wpp_page.open()
    ref = wpp_page.qr_ref()  # the page works: the QR is up
    assert wpp.value("window.WPP === window.__injectedWPP")
    assert wpp.value("[WPP.version, WPP.isReady]") == ["4.6.0", False]
    sim.link(ref)
    wpp_page.wait_chat_list()
    assert wpp.value("window.WPP === window.__injectedWPP && WPP.isReady === false")


def test_the_setting_applies_per_page_load(sim: SimControl, wpp_linked: WaWeb, wpp: Wpp) -> None:
    sim.post("/_sim/config", {"bridge": "off"})
    assert wpp.value("WPP.isReady") is True  # the loaded page keeps its stand-in
    wpp_linked.open()
    wpp_linked.wait_chat_list()
    assert wpp.value("window.WPP === window.__injectedWPP && WPP.isReady === false")
    sim.post("/_sim/config", {"bridge": "on"})
    wpp_linked.open()
    wpp.wait_ready()
    assert wpp.value("WPP.conn.isAuthenticated()") is True  # a stored session: at once
