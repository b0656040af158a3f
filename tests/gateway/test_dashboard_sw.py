"""The service worker's fetch handler, run for real in Chromium: it caches static GETs only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium import webdriver

from gateway.web.routes import STATIC_DIR
from tests.support.dashboard import make_chrome, quit_chrome

ORIGIN = "http://gw.test"
SHELL_PATHS = ("/", "/manifest.webmanifest")

# Loads sw.js with a stand-in `self`, `caches` and `fetch`, fires its install handler, then one
# fetch event per case; reports which requests it answered and what it put in the cache.
HARNESS = """
const [source, origin, cases] = arguments;
const done = arguments[arguments.length - 1];
const handlers = {};
const stored = [];
const fakeSelf = {
  location: new URL(origin + "/sw.js"),
  addEventListener: (name, fn) => { handlers[name] = fn; },
  skipWaiting: async () => {},
  clients: { claim: async () => {} },
};
const cache = {
  put: async (req) => { stored.push(req.method + " " + req.url); },
  addAll: async (urls) => { for (const u of urls) stored.push("GET " + new URL(u, origin).href); },
  match: async () => undefined,
};
const fakeCaches = { open: async () => cache, keys: async () => [], delete: async () => true };
const fakeFetch = async () => new Response("x", { status: 200 });
(async () => {
  new Function("self", "caches", "fetch", source)(fakeSelf, fakeCaches, fakeFetch);
  const waits = [];
  handlers.install({ waitUntil: (p) => waits.push(p) });
  await Promise.all(waits);
  const answered = [];
  for (const [method, url] of cases) {
    let response = null;
    const request = new Request(url, { method });
    handlers.fetch({ request, respondWith: (p) => { response = p; } });
    if (response) { await response; answered.push(method + " " + url); }
  }
  return { answered, stored };
})().then(done, (err) => done({ error: String(err) }));
"""

STATIC = [
    ("GET", f"{ORIGIN}/"),
    ("GET", f"{ORIGIN}/static/js/app.js"),
    ("GET", f"{ORIGIN}/static/icons/icon-192.png"),
    ("GET", f"{ORIGIN}/vendor/socket.io.min.js"),
    ("GET", f"{ORIGIN}/manifest.webmanifest"),
]
NEVER = [
    ("POST", f"{ORIGIN}/api/whatsapp/start"),
    ("GET", f"{ORIGIN}/api/whatsapp/sessions"),
    ("GET", f"{ORIGIN}/api/whatsapp/status"),
    ("GET", f"{ORIGIN}/whatsapp/status"),
    ("GET", f"{ORIGIN}/socket.io/?EIO=4&transport=polling"),
    ("POST", f"{ORIGIN}/socket.io/?EIO=4&transport=polling"),
    ("GET", f"{ORIGIN}/health"),
    ("GET", f"{ORIGIN}/metrics"),
    ("GET", f"{ORIGIN}/sw.js"),
    ("POST", f"{ORIGIN}/static/js/app.js"),
    ("PUT", f"{ORIGIN}/static/js/app.js"),
    ("DELETE", f"{ORIGIN}/vendor/socket.io.min.js"),
    ("GET", f"{ORIGIN}/static/js/app.js?token=secret"),
    ("GET", "http://elsewhere.test/static/js/app.js"),
]


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = make_chrome(tmp_path_factory.mktemp("sw-chrome"))
    try:
        driver.get("about:blank")
        yield driver
    finally:
        quit_chrome(driver)


def _run(chrome: webdriver.Chrome, cases: list[tuple[str, str]]) -> dict[str, Any]:
    source = (STATIC_DIR / "sw.js").read_text()
    result: dict[str, Any] = chrome.execute_async_script(HARNESS, source, ORIGIN, cases)
    assert "error" not in result, result
    return result


def test_static_gets_are_answered_and_cached(chrome: webdriver.Chrome) -> None:
    result = _run(chrome, STATIC)
    assert result["answered"] == [f"{m} {u}" for m, u in STATIC]
    assert set(result["stored"]) >= set(result["answered"])


@pytest.mark.parametrize(("method", "url"), NEVER)
def test_api_socket_probes_and_non_get_are_never_touched(
    chrome: webdriver.Chrome, method: str, url: str
) -> None:
    result = _run(chrome, [(method, url)])
    assert result["answered"] == []
    assert all("/api/" not in s and "/socket.io/" not in s for s in result["stored"])
    assert all(s.startswith("GET ") for s in result["stored"])


def test_precached_shell_is_static_only(chrome: webdriver.Chrome) -> None:
    paths = [s.removeprefix(f"GET {ORIGIN}") for s in _run(chrome, [])["stored"]]
    assert "/" in paths and "/vendor/socket.io.min.js" in paths
    assert all(p in SHELL_PATHS or p.startswith(("/static/", "/vendor/")) for p in paths), paths
