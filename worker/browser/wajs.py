"""wa-js in the page: find the build to inject and inject it, with the worker's in-page bridge,
through CDP ``Page.addScriptToEvaluateOnNewDocument`` before the first load, so every document of
the tab (reloads, deep links) gets it before WhatsApp's own scripts run."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from shared.settings import Settings
from worker.browser.errors import BrowserError

BUNDLED = Path("node_modules/@wppconnect/wa-js/dist/wppconnect-wa.js")
_ROOT = Path(__file__).resolve().parents[2]  # the checkout, or /app in the worker image
_MODULE_JS = Path(__file__).with_name("js") / "module"
# injected in this order: wa-js's settings, wa-js, then the worker's bridge that listens to it
_BEFORE = ("config.js",)
_AFTER = ("bridge.js",)
# in-page operations end by their own deadlines; WebDriver's must not come first (default 30 s)
SCRIPT_TIMEOUT_S = 300


class WajsMissing(BrowserError):
    reason = "bridge_unavailable"


def wajs_path(settings: Settings) -> Path:
    """``APP_WAJS_PATH``, else the build pinned in package-lock.json (``npm ci``)."""
    if settings.wajs_path:
        return Path(settings.wajs_path)
    for base in (_ROOT, Path.cwd()):
        if (base / BUNDLED).is_file():
            return base / BUNDLED
    return _ROOT / BUNDLED


@cache
def _read(path: Path, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # part of the cache key: a replaced build is read again
    return path.read_text(encoding="utf-8")


def sources(settings: Settings) -> list[str]:
    """What to inject, in order; raises ``WajsMissing`` naming the path and the fix."""
    path = wajs_path(settings)
    try:
        stat = path.stat()
        wajs = _read(path, stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        raise WajsMissing(
            f"wa-js not found at {path} ({exc.strerror or exc}): run `make setup` (npm ci) or "
            "set APP_WAJS_PATH to a wppconnect-wa.js build"
        ) from exc
    if "WPP" not in wajs:
        raise WajsMissing(f"{path} does not look like a wa-js build (no WPP in it)")
    ours = [(_MODULE_JS / name).read_text(encoding="utf-8") for name in (*_BEFORE, *_AFTER)]
    return [*ours[: len(_BEFORE)], wajs, *ours[len(_BEFORE) :]]


def install(driver: WebDriver, scripts: list[str]) -> None:
    """Register the scripts for every new document of the tab (call before the first ``get``)."""
    for source in scripts:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
    driver.set_script_timeout(SCRIPT_TIMEOUT_S)
