"""Hooks into undetected-chromedriver 3.5.x during one start (it has no options for these).

uc starts Chromium with stdout/stderr pipes it never reads (a full pipe freezes Chromium) and then
drops the Popen (a zombie, no handle to reap); its Patcher creates
``~/.local/share/undetected_chromedriver``, which fails when $HOME is not writable. So while uc
starts, the name ``subprocess`` inside uc's package and ``Patcher.data_path`` are our stand-ins.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_lock = threading.Lock()  # the hooks are process-global: one uc start at a time
# util-linux's setpriv sets the parent-death signal, then execs (same pid). The signal follows the
# *thread* that started Chromium: BrowserThread's, which outlives the browser.
_SETPRIV = shutil.which("setpriv")


class _SubprocessForUc:
    """Looks like the ``subprocess`` module to uc; its Popen starts Chromium our way."""

    def __init__(
        self, env: dict[str, str], on_start: Callable[[subprocess.Popen[bytes]], None]
    ) -> None:
        self._env = env
        self._on_start = on_start

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def Popen(self, args: list[str], **_uc_kwargs: Any) -> subprocess.Popen[bytes]:  # noqa: N802
        # stdout is discarded, stderr drained by the caller; a new session makes Chromium and its
        # children one process group, out of reach of signals sent to the worker's terminal
        if _SETPRIV is not None:  # dies with us: a SIGKILLed worker must not leave it running
            args = [_SETPRIV, "--pdeathsig", "TERM", "--", *args]
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            close_fds=True,
            env=self._env,
            start_new_session=True,
        )
        self._on_start(proc)
        return proc


@contextmanager
def uc_hooks(
    *,
    env: dict[str, str],
    data_dir: Path,
    on_browser: Callable[[subprocess.Popen[bytes]], None],
) -> Iterator[None]:
    """Within the block, uc starts Chromium with ``env`` and hands its Popen to ``on_browser``."""
    import undetected_chromedriver as uc
    from undetected_chromedriver.patcher import Patcher

    with _lock:
        saved = uc.subprocess, Patcher.data_path
        uc.subprocess = _SubprocessForUc(env, on_browser)
        Patcher.data_path = str(data_dir)
        try:
            yield
        finally:
            uc.subprocess, Patcher.data_path = saved
