"""``python -m bench.scriptheap``: what the page keeps of the worker's scripts.

One Chromium (the worker's launch, on a local http page) answers the same script N times
through WebDriver's ``execute_async_script`` and N times through the page channel
(``worker/browser/page_channel.py``); after each run a full garbage collection, then the page's
JS heap in use (``Runtime.getHeapUsage`` over the DevTools socket), and the CPU of this process,
chromedriver and Chromium per call. The answer is shaped like a long-poll's (a boot id, 20
items with ids and bodies)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from bench.sessions import tree_cpu_s
from shared.settings import Settings
from tests.support.browsers import static_page
from worker.browser import scripts
from worker.browser.devtools import DevToolsTarget, debugger_address, is_page
from worker.browser.thread import BrowserThread

CALLS = 3000
_HTML = b"<!doctype html><title>bench</title>"
# a long-poll's shape: a fresh boot id and 20 messages each time
_ANSWER = (
    "const done = arguments[arguments.length - 1]; const n = arguments[0];"
    " done({boot: 'b' + n + Math.random(), items: Array.from({length: 20}, (_, i) =>"
    " ({id: 'false_' + n + '_' + i + '@c.us_' + Math.random(), body: 'hello there ' + i}))});"
)


def _by_webdriver(driver: WebDriver, calls: int) -> None:
    for n in range(calls):
        driver.execute_async_script(_ANSWER, n)


def _by_channel(driver: WebDriver, calls: int) -> None:
    for n in range(calls):
        scripts.execute_async(driver, _ANSWER, n, answer_within_s=5)


async def _heap_mb(page: DevToolsTarget) -> float:
    await page.call("HeapProfiler.collectGarbage")
    used = (await page.call("Runtime.getHeapUsage"))["usedSize"]
    return round(float(used) / 1e6, 2)


async def _measure(url: str, tmp: Path, calls: int) -> dict[str, Any]:
    browser = BrowserThread()
    profile = tmp / "profile"
    profile.mkdir()
    await browser.start(Settings(mode="test", profile_dir=tmp, browser_driver="uc"), profile)
    page = DevToolsTarget(await browser.call(debugger_address), is_page, timeout_s=30)
    out: dict[str, Any] = {"calls": calls}
    try:
        runs: list[tuple[str, Callable[[WebDriver, int], None]]] = [
            ("webdriver", _by_webdriver),
            ("channel", _by_channel),
        ]
        for name, run in runs:
            await browser.call(lambda d: d.get(url))  # a fresh document per way
            before = await _heap_mb(page)
            cpu_s, wall_s = tree_cpu_s(os.getpid()), time.monotonic()
            await browser.call(run, calls)
            cpu_s, wall_s = tree_cpu_s(os.getpid()) - cpu_s, time.monotonic() - wall_s
            after = await _heap_mb(page)
            out[name] = {
                "heap_before_mb": before,
                "heap_after_mb": after,
                "kept_kb_per_1000_calls": round((after - before) * 1e6 / 1024 / calls * 1000, 1),
                # this process, chromedriver and Chromium together
                "cpu_ms_per_call": round(cpu_s * 1000 / calls, 3),
                "wall_ms_per_call": round(wall_s * 1000 / calls, 3),
            }
    finally:
        await page.close()
        await browser.close()
    return out


def measure(calls: int = CALLS) -> dict[str, Any]:
    with static_page(_HTML) as url, tempfile.TemporaryDirectory(prefix="wagw-bench-heap-") as tmp:
        return asyncio.run(_measure(url, Path(tmp), calls))


def main(argv: list[str]) -> int:
    calls = int(argv[0]) if argv else CALLS
    sys.stdout.write(json.dumps({"bench": "script_heap", **measure(calls)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
