"""Launch and shutdown of a real Chromium under uc and plain Selenium: pages load, nothing leaks."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import WSMsgType, web
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from shared.settings import DriverKind, Settings
from tests.support.browsers import private_tempdirs
from worker.browser import procs, tempdirs
from worker.browser.driver import browser_pid, launch, shutdown
from worker.browser.errors import BrowserStartError
from worker.browser.profile import ensure_profile_dir, remove_stale_locks

SYSTEM_CHROMEDRIVER = "/usr/bin/chromedriver"
DPKG_MD5SUMS = Path("/var/lib/dpkg/info/chromium-driver.md5sums")

PROBE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>probe</title></head><body>
<pre id="ua"></pre><pre id="webdriver"></pre><pre id="brands"></pre>
<pre id="ws">pending</pre><pre id="canvas">pending</pre>
<canvas id="c" width="64" height="64"></canvas>
<script>
const put = (id, text) => { document.getElementById(id).textContent = text; };
put("ua", navigator.userAgent);
put("webdriver", String(navigator.webdriver));
put("brands", JSON.stringify(((navigator.userAgentData || {}).brands || []).map(b => b.brand)));
const ctx = document.getElementById("c").getContext("2d");
ctx.fillStyle = "rgb(0, 170, 0)";
ctx.fillRect(8, 8, 48, 48);
const px = ctx.getImageData(32, 32, 1, 1).data;
put("canvas", px[1] === 170 ? "ok" : "bad " + Array.from(px).join(","));
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onopen = () => ws.send("ping");
ws.onmessage = (e) => put("ws", e.data === "pong" ? "ok" : "bad " + e.data);
ws.onerror = () => put("ws", "error");
</script></body></html>
"""

# stands in for a Chromium that answers --version but cannot start (or hangs)
FAKE_CHROMIUM = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "Chromium 156.0.8078.79 fake"; exit 0; fi
{body}
"""


async def _probe(_: web.Request) -> web.Response:
    return web.Response(text=PROBE_HTML, content_type="text/html")


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT and msg.data == "ping":
            await ws.send_str("pong")
    return ws


@pytest.fixture(autouse=True, scope="module")
def private_tmp() -> Iterator[Path]:
    yield from private_tempdirs()


@pytest.fixture(scope="module")
def probe_url() -> Iterator[str]:
    """The probe page (user agent, webdriver flag, websocket echo, canvas), served on 127.0.0.1."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/", _probe)
    app.router.add_get("/ws", _echo)
    runner = web.AppRunner(app)

    async def up() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}/"

    thread = threading.Thread(target=loop.run_forever, name="probe-server", daemon=True)
    thread.start()
    yield asyncio.run_coroutine_threadsafe(up(), loop).result(10)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def build(kind: DriverKind = "uc", **overrides: object) -> Settings:
        values: dict[str, object] = {
            "mode": "test",
            "profile_dir": tmp_path / "profiles",
            "browser_driver": kind,
        }
        return Settings(**{**values, **overrides})  # type: ignore[arg-type]

    return build


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    return ensure_profile_dir(tmp_path / "profiles", "sess-1")


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def browser_children() -> list[procs.ProcInfo]:
    """Browser-ish processes (zombies included) whose parent is this test process."""
    me = os.getpid()
    names = ("chromium", "chromedriver", "chrome", "sleep", "sh")
    return [i for i in procs.snapshot().values() if i.ppid == me and i.comm in names]


def own_workdirs() -> set[str]:
    assert tempdirs.ROOT is not None
    return {p.name for p in tempdirs.ROOT.glob(f"wagw-chromium-{os.getpid()}-*")}


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def load_probe(driver: WebDriver, url: str) -> dict[str, str]:
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: d.find_element("id", "ws").text != "pending")
    ids = ("ua", "webdriver", "brands", "ws", "canvas")
    return {i: driver.find_element("id", i).text for i in ids}


def fake_chromium(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-chromium"
    path.write_text(FAKE_CHROMIUM.format(body=body))
    path.chmod(0o755)
    return str(path)


def test_shutdown_of_nothing_does_not_raise() -> None:
    shutdown(None)


@pytest.mark.e2e
def test_system_chromedriver_is_pristine() -> None:
    """Checked against the Debian package, so an earlier test run could not have hidden a patch."""
    if not DPKG_MD5SUMS.exists():
        pytest.skip("chromedriver not installed from the Debian package")
    expected = DPKG_MD5SUMS.read_text().split()[0]
    actual = hashlib.md5(Path(SYSTEM_CHROMEDRIVER).read_bytes()).hexdigest()
    assert actual == expected


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["uc", "selenium"])
def test_starts_loads_a_page_and_leaves_nothing(
    kind: DriverKind, probe_url: str, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    sha_before = sha256(SYSTEM_CHROMEDRIVER)
    workdirs_before = own_workdirs()
    driver = launch(make_settings(kind), profile)
    try:
        page = load_probe(driver, probe_url)
        pid = browser_pid(driver)
        assert pid is not None
        tree = [pid, *procs.descendants(pid)]
        tmpdir = environ_of(pid)["TMPDIR"]
        socket_target = os.readlink(profile / "SingletonSocket")
        if kind == "uc":  # we start Chromium: stdout discarded, stderr read by a drain thread
            assert os.readlink(f"/proc/{pid}/fd/1") == "/dev/null"
            assert os.readlink(f"/proc/{pid}/fd/2").startswith("pipe:")
            assert f"chromium-{pid}-stderr" in {t.name for t in threading.enumerate()}
    except BaseException:
        shutdown(driver)
        raise
    shutdown(driver)
    shutdown(driver)  # twice is fine

    assert page["ws"] == "ok"
    assert page["canvas"] == "ok"
    assert "HeadlessChrome" not in page["ua"]
    assert page["ua"].startswith("Mozilla/5.0 (X11; Linux x86_64)")
    assert "Chrome/156.0.0.0" in page["ua"]
    assert "HeadlessChrome" not in page["brands"]
    assert page["webdriver"] == "false"
    # Chromium's temp dirs (org.chromium.Chromium.*) were created in the launch's own TMPDIR
    assert Path(tmpdir).name.startswith(f"wagw-chromium-{os.getpid()}-")
    assert socket_target.startswith(tmpdir + "/org.chromium.Chromium.")
    # ...which shutdown removed, with every process of the tree, reaped
    assert not Path(tmpdir).exists()
    assert own_workdirs() == workdirs_before
    assert [p for p in tree if procs.alive(p)] == []
    assert browser_children() == []
    assert sha256(SYSTEM_CHROMEDRIVER) == sha_before


@pytest.mark.e2e
def test_uc_runs_a_private_copy_of_chromedriver(
    profile: Path, make_settings: Callable[..., Settings]
) -> None:
    driver = launch(make_settings("uc"), profile)
    try:
        service_exe = procs.exe_of(driver.service.process.pid)  # type: ignore[attr-defined]
    finally:
        shutdown(driver)
    assert service_exe is not None
    assert service_exe != os.path.realpath(SYSTEM_CHROMEDRIVER)
    assert b"undetected chromedriver" in Path(service_exe).read_bytes()  # uc patched the copy


@pytest.mark.e2e
def test_chromedriver_copy_is_removed_when_the_process_exits(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from shared.settings import Settings\n"
        "from worker.browser.driver import launch, shutdown\n"
        "profile = Path(sys.argv[1])\n"
        "profile.mkdir()\n"
        "settings = Settings(mode='test', profile_dir=profile.parent, browser_driver='uc')\n"
        "shutdown(launch(settings, profile))\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "sess-1")],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "TMPDIR": str(tempdirs.ROOT)},
    )
    assert child.wait(120) == 0
    assert tempdirs.ROOT is not None
    assert not list(tempdirs.ROOT.glob(f"wagw-*-{child.pid}-*"))


@pytest.mark.e2e
def test_killed_worker_leaves_no_browser_behind(tmp_path: Path) -> None:
    """kill -9 of the worker: Chromium dies with it, the next sweep kills its chromedriver."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from shared.settings import Settings\n"
        "from worker.browser.driver import browser_pid, launch\n"
        "profile = Path(sys.argv[1])\n"
        "profile.mkdir()\n"
        "settings = Settings(mode='test', profile_dir=profile.parent, browser_driver='uc')\n"
        "driver = launch(settings, profile)\n"
        "print(browser_pid(driver), driver.service.process.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "sess-1")],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "TMPDIR": str(tempdirs.ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    chromium, chromedriver = map(int, worker.stdout.readline().split())
    group = procs.group_members(chromium)
    assert chromium in group
    worker.kill()
    worker.wait()
    worker.stdout.close()
    assert procs.wait_gone(group, 10) == []
    assert procs.alive(chromedriver)  # uc's chromedriver outlives its parent...
    tempdirs.sweep_stale()  # the private temp root (see private_tmp)
    assert procs.wait_gone([chromedriver], 10) == []  # ...until the next worker sweeps
    assert tempdirs.ROOT is not None
    assert not list(tempdirs.ROOT.glob(f"wagw-*-{worker.pid}-*"))


@pytest.mark.e2e
def test_profile_keeps_local_storage_across_launches(
    probe_url: str, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    """What keeps WhatsApp linked across worker restarts: localStorage survives a clean shutdown."""
    settings = make_settings("uc")
    driver = launch(settings, profile)
    try:
        load_probe(driver, probe_url)
        driver.execute_script("localStorage.setItem('last-wid-md', '\"4915112345678:7@c.us\"')")
    finally:
        shutdown(driver)

    driver = launch(settings, profile)
    try:
        load_probe(driver, probe_url)
        stored = driver.execute_script("return localStorage.getItem('last-wid-md')")
    finally:
        shutdown(driver)
    assert stored == '"4915112345678:7@c.us"'


@pytest.mark.e2e
def test_crashed_browser_is_reaped_and_its_profile_reusable(
    probe_url: str, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("uc")
    driver = launch(settings, profile)
    pid = browser_pid(driver)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    shutdown(driver)  # must not raise on a dead browser
    assert browser_children() == []
    assert (profile / "SingletonLock").is_symlink()  # a killed Chromium leaves its lock behind

    assert remove_stale_locks(profile)
    driver = launch(settings, profile)
    try:
        assert load_probe(driver, probe_url)["ws"] == "ok"
    finally:
        shutdown(driver)
    assert browser_children() == []


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("chromium_path", "/nonexistent/chromium", "APP_CHROMIUM_PATH"),
        ("chromedriver_path", "/nonexistent/chromedriver", "APP_CHROMEDRIVER_PATH"),
    ],
)
def test_missing_binaries_fail_clearly(
    field: str, value: str, hint: str, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    with pytest.raises(BrowserStartError) as err:
        launch(make_settings("uc", **{field: value}), profile)
    assert err.value.reason == "browser_start_failed"
    assert value in str(err.value)
    assert hint in str(err.value)
    assert browser_children() == []


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["uc", "selenium"])
def test_chromium_dying_at_start_fails_fast_and_cleans_up(
    kind: DriverKind, tmp_path: Path, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    chromium = fake_chromium(tmp_path, 'echo "fake chromium refuses to start" >&2; exit 3')
    workdirs_before = own_workdirs()
    started = time.monotonic()
    with pytest.raises(BrowserStartError) as err:
        launch(make_settings(kind, chromium_path=chromium), profile)
    assert time.monotonic() - started < 30
    message = str(err.value)
    assert chromium in message
    if kind == "uc":  # we hold Chromium's stderr only when we started it ourselves
        assert "exited during start with code 3" in message
        assert "fake chromium refuses to start" in message
    assert browser_children() == []
    assert own_workdirs() == workdirs_before


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["uc", "selenium"])
def test_hanging_start_times_out_and_kills_everything(
    kind: DriverKind, tmp_path: Path, profile: Path, make_settings: Callable[..., Settings]
) -> None:
    chromium = fake_chromium(tmp_path, "exec sleep 600")
    settings = make_settings(kind, chromium_path=chromium, browser_start_timeout_s=2)
    with pytest.raises(BrowserStartError) as err:
        launch(settings, profile)
    assert "timed out after 2 s" in str(err.value)
    assert browser_children() == []
    assert not [i for i in procs.snapshot().values() if chromium in _cmdline(i.pid)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_operator_feature_flags_join_ours_instead_of_replacing_them() -> None:
    from worker.browser.chromium import chrome_arguments

    args = chrome_arguments(156, None, ["--disable-features=Foo,Translate", "--x=1"])
    disabled = [a for a in args if a.startswith("--disable-features=")]
    assert len(disabled) == 1
    names = disabled[0].split("=", 1)[1].split(",")
    assert "PreloadTopChromeWebUI" in names and "Foo" in names
    assert names.count("Translate") == 1
    assert [a for a in args if a.startswith("--enable-features=")] == [
        "--enable-features=NetworkServiceInProcess2"
    ]
    assert args[-1] == "--x=1"
