"""Fixtures: one in-process simulator per session (reset per test), headless Chromium drivers."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from simulator.app import create_app
from simulator.config import SimConfig
from tests.simulator.fakepage import Client
from tests.simulator.harness import SimControl, SimServer
from tests.simulator.waweb import DIALOG, WaWeb
from tests.simulator.wpp import Wpp, inject_wajs

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
# Short timings for tests; QR codes do not rotate unless a test asks for it.
FAST = {"loadMs": 50, "syncMs": 200, "qrFirstMs": 60_000, "qrRotateMs": 20_000, "qrCount": 6}

DriverFactory = Callable[..., webdriver.Chrome]


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    """The simulator in this test's loop, for browser-less tests (``FakePage``)."""
    config = SimConfig(load_ms=0, sync_ms=0, qr_first_ms=60_000, qr_rotate_ms=60_000)
    async with TestClient(TestServer(create_app(config))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sim_server() -> Iterator[SimServer]:
    server = SimServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> str:
    """The page profile under test: "2026" unless a test parametrizes it (``indirect``)."""
    return str(getattr(request, "param", "2026"))


@pytest.fixture
def sim(sim_server: SimServer, profile: str) -> SimControl:
    control = SimControl(sim_server.base_url)
    control.post("/_sim/reset")
    control.post("/_sim/config", {**FAST, "pageProfile": profile})
    return control


@pytest.fixture
def profile_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="sim-profile-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def make_driver() -> Iterator[DriverFactory]:
    """Start headless Chromium drivers; every one is quit at the end of the test.

    Profiles and scratch files go to a short directory: Chromium's singleton socket lives in
    TMPDIR, and a socket path over 107 bytes (a deep pytest ``tmp_path``, as under xdist) makes
    Chromium exit at start."""
    drivers: list[webdriver.Chrome] = []
    tmp_path = Path(tempfile.mkdtemp(prefix="wagw-sim-"))

    def make(profile: Path | None = None, user_agent: str | None = CHROME_UA) -> webdriver.Chrome:
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        profile = profile or Path(tempfile.mkdtemp(prefix="profile-", dir=tmp_path))
        for arg in (
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--disable-quic", "--window-size=1280,900",
            f"--user-data-dir={profile}",
        ):  # fmt: skip
            opts.add_argument(arg)
        if user_agent:
            opts.add_argument(f"--user-agent={user_agent}")
        # Chromium's scratch dirs (org.chromium.Chromium.*) land in tmp_path, which pytest cleans.
        service = Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": str(tmp_path)})
        driver = webdriver.Chrome(service=service, options=opts)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        quit_driver(driver)
    shutil.rmtree(tmp_path, ignore_errors=True)


def quit_driver(driver: webdriver.Chrome) -> None:
    with contextlib.suppress(Exception):  # a dead browser must not fail the test's teardown
        driver.quit()


@pytest.fixture
def page(sim: SimControl, make_driver: DriverFactory, profile: str) -> WaWeb:
    """A fresh browser on the simulator's page (not linked yet)."""
    return WaWeb(make_driver(), sim.base_url, profile)


@pytest.fixture
def linked(sim: SimControl, page: WaWeb) -> WaWeb:
    """A browser linked to +15550001111 ("Acme Support"), on its chat list (popups dismissed)."""
    page.open()
    sim.link(page.qr_ref(), "15550001111", "Acme Support")
    page.wait_chat_list()
    if page.profile == "2026":
        assert page.dialog_text().startswith("A fresh look for WhatsApp Web")
        page.click_dialog_button("Continue")
        page.wait_gone(DIALOG)
    return page


BOTH = pytest.mark.parametrize("profile", ["2026", "legacy"], indirect=True)


@pytest.fixture
def wpp_page(sim: SimControl, make_driver: DriverFactory, profile: str) -> WaWeb:
    """A fresh browser with the real wa-js injected before the page (as a worker injects it)."""
    driver = make_driver()
    inject_wajs(driver)
    return WaWeb(driver, sim.base_url, profile)


@pytest.fixture
def wpp(wpp_page: WaWeb) -> Wpp:
    return Wpp(wpp_page.driver)


@pytest.fixture
def wpp_linked(sim: SimControl, wpp_page: WaWeb, wpp: Wpp) -> WaWeb:
    """``wpp_page`` linked to +15550001111 ("Acme Support"), on its chat list, WPP ready."""
    wpp_page.open()
    wpp.wait_ready()
    sim.link(wpp_page.qr_ref(), "15550001111", "Acme Support")
    wpp_page.wait_chat_list()
    if wpp_page.profile == "2026":
        wpp_page.click_dialog_button("Continue")
        wpp_page.wait_gone(DIALOG)
    wpp.until(lambda: wpp.value("WPP.conn.getMyUserId() !== undefined"))
    return wpp_page
