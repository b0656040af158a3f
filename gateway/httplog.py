"""The HTTP server's own error log: a request aiohttp cannot even parse (request line or a header
over 8 KB, bytes HTTP does not allow) costs one short line, never a traceback, and at most one
line per interval with a count of the rest, so nobody can flood the log with garbage requests.

aiohttp answers those requests itself (400) before any middleware runs; everything else it logs
passes through unchanged.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

LOG_EVERY_S = 10.0
EXCERPT_CHARS = 100


class ProtocolErrorLog(logging.LoggerAdapter[logging.Logger]):
    """Given to aiohttp's request handlers as their ``logger`` (``handler_args``)."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(logger, {})
        self._last = 0.0
        self._suppressed = 0

    def exception(self, msg: object, *args: Any, exc_info: Any = True, **kwargs: Any) -> None:
        exc = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if not isinstance(exc, HttpProcessingError):
            super().exception(msg, *args, exc_info=exc_info, **kwargs)
            return
        now = time.monotonic()
        if now - self._last < LOG_EVERY_S:
            self._suppressed += 1
            return
        first_line = (exc.message or "").strip().splitlines()[0:1]
        excerpt = first_line[0][:EXCERPT_CHARS] if first_line else ""
        peer = args[0] if args else "?"
        more = f" (and {self._suppressed} more since the last one)" if self._suppressed else ""
        self.logger.warning(
            "bad HTTP request from %s answered %s: %r%s", peer, exc.code, excerpt, more
        )
        self._last, self._suppressed = now, 0
