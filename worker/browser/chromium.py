"""What we tell Chromium: its version, a normal Chrome user agent, and the command-line flags.

The flags were measured on a trivial page with a websocket and a canvas (see the browser tests).
"""

from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

from worker.browser.errors import BrowserStartError

_VERSION = re.compile(r"\b(\d+)\.(\d+)\.(\d+)\.(\d+)\b")
# the browser's language: WhatsApp Web follows it for labels (the page objects match English
# ones), and for times and dates (en-US: 12 h, M/D/YYYY), which the row reader expects from it
LOCALE = "en-US"

# Always on: quiet, no background traffic, no first-run UI. (Not --disable-crashpad-for-testing: on
# Chromium 156 it crash-loops the network service with "FD ownership violation".)
BASE_FLAGS: tuple[str, ...] = (
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--password-store=basic",
    "--mute-audio",
    # page objects match English labels ("Use here", aria-labels): never follow the host locale
    f"--lang={LOCALE}",
    # the desktop two-pane layout WhatsApp's page objects expect (uc forces this size anyway)
    "--window-size=1920,1080",
    "--disable-quic",
    # WhatsApp must keep its websocket and observers alive in a window nobody looks at
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    # Docker's default /dev/shm is 64 MB; shared memory then lives in TMPDIR instead
    "--disable-dev-shm-usage",
    # The container is the isolation boundary; the namespace sandbox needs user namespaces that
    # Docker's default seccomp profile denies (and undetected-chromedriver always adds it anyway).
    "--no-sandbox",
)

# Each one measured (USS/PSS of the whole tree, trivial page with a websocket and a canvas, uc,
# headless): together 138 -> 62 MB private memory, about 250 -> 135 MB PSS.
MEMORY_FLAGS: tuple[str, ...] = (
    # software compositing only; no GPU or SwiftShader rasteriser in the GPU process (-10 MB)
    "--disable-gpu",
    "--disable-software-rasterizer",
    # no spare renderer kept warm for the next navigation (-13 MB)
    "--renderer-process-limit=2",
    # headless=new still preloads the omnibox popup WebUI in its own renderer (-40 MB);
    # NetworkServiceInProcess2 folds the network service into the browser process (-16 MB), at
    # the price that a network-service crash takes the whole browser down with it
    "--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxFullPopup,"
    "WebUIOmniboxAimPopup,Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
    "AutofillServerCommunication,InterestFeedContentSuggestions,BackForwardCache",
    "--enable-features=NetworkServiceInProcess2",
)


@functools.cache
def chromium_version(chromium_path: str) -> str:
    """Full version (``156.0.8078.79``) from ``<chromium> --version``; cached per path."""
    try:
        done = subprocess.run(
            [chromium_path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BrowserStartError(f"cannot run {chromium_path} --version: {exc}") from exc
    out = done.stdout.decode("utf-8", "replace")
    match = _VERSION.search(out)
    if done.returncode != 0 or match is None:
        err = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise BrowserStartError(
            f"{chromium_path} --version did not print a Chromium version "
            f"(exit {done.returncode}): {out.strip()[:200]!r} {err!r}; "
            "set APP_CHROMIUM_PATH to a Chromium or Chrome binary"
        )
    return match.group(0)


def major_version(chromium_path: str) -> int:
    """Major version of the Chromium at ``chromium_path`` (what uc's ``version_main`` wants)."""
    return int(chromium_version(chromium_path).split(".", 1)[0])


def user_agent(major: int) -> str:
    """A desktop Chrome user agent in the reduced form real Chrome sends (minor parts zeroed)."""
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36"
    )


# The passkey relay (worker/browser/extension): plain files, loaded unpacked.
RELAY_EXTENSION = Path(__file__).resolve().with_name("extension")


def extension_flags(extension: Path | None) -> list[str]:
    """No extension at all, or only the relay. (Measured on Chromium 156: --load-extension is
    ignored under --disable-extensions, so the relay comes with --disable-extensions-except,
    which still keeps every other extension off; it costs one extension renderer, ~11 MB PSS.)"""
    if extension is None:
        return ["--disable-extensions"]
    return [f"--disable-extensions-except={extension}", f"--load-extension={extension}"]


_FEATURE_SWITCHES = ("--disable-features=", "--enable-features=")


def merge_features(flags: list[str]) -> list[str]:
    """One ``--disable-features`` and one ``--enable-features``, each the union of all given.
    Chromium reads only the last of each: an operator's own ``--disable-features=X`` in
    APP_CHROMIUM_EXTRA_ARGS would silently switch ours back on (measured: +150 MB PSS and a
    third renderer, bench/flags.py)."""
    merged: dict[str, list[str]] = {}
    out: list[str] = []
    for flag in flags:
        switch = next((s for s in _FEATURE_SWITCHES if flag.startswith(s)), None)
        if switch is None:
            out.append(flag)
            continue
        if switch not in merged:
            merged[switch] = []
            out.append(switch)  # its place: where it first came
        for name in flag[len(switch) :].split(","):
            if name and name not in merged[switch]:
                merged[switch].append(name)
    return [f + ",".join(merged[f]) if f in merged else f for f in out]


def chrome_arguments(
    major: int, extension: Path | None = None, extra: list[str] | None = None
) -> list[str]:
    """Flags common to both driver kinds; profile and headless mode are added per driver kind.
    ``extension``: an unpacked extension to load (the passkey relay); ``extra``: the operator's
    own flags (APP_CHROMIUM_EXTRA_ARGS), last (feature lists merged with ours)."""
    return merge_features(
        [
            *BASE_FLAGS,
            *extension_flags(extension),
            *MEMORY_FLAGS,
            f"--user-agent={user_agent(major)}",
            *(extra or []),
        ]
    )
