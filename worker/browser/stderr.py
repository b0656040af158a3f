"""Drain a child's stderr on a daemon thread: the pipe never fills, the last lines stay readable.

Chromium blocks on a full stderr pipe; undetected-chromedriver never reads it. We read it to EOF.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import IO

log = logging.getLogger("worker.browser.chromium")

# printed on every start of Debian's Chromium in a container; useless in an error message
_NOISE = ("dbus/", "unexpected operator")


class StderrTail:
    """Reads ``stream`` to EOF, logging each line at DEBUG and keeping the last useful ones."""

    def __init__(self, stream: IO[bytes], *, name: str, keep: int = 12) -> None:
        self._stream = stream
        self._name = name
        self._lines: deque[str] = deque(maxlen=keep)
        self._thread = threading.Thread(target=self._run, name=f"{name}-stderr", daemon=True)
        self._thread.start()

    def tail(self) -> str:
        """The last lines read so far, oldest first."""
        return "\n".join(self._lines)

    def join(self, timeout: float) -> bool:
        """Wait for EOF (every holder of the pipe gone); True if the reader finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            with self._stream:
                for raw in iter(lambda: self._stream.readline(8192), b""):
                    line = raw.decode("utf-8", "replace").rstrip()
                    if not line:
                        continue
                    log.debug("%s: %s", self._name, line)
                    if not any(noise in line for noise in _NOISE):
                        self._lines.append(line)
        except (OSError, ValueError):  # closed under us: nothing left to drain
            pass
