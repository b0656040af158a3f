"""Structured ``key=value`` logging an operator can grep (``session=<id> state=qr->ready``)."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str = "INFO", *, process: str) -> None:
    fmt = f"%(asctime)s %(levelname)s proc={process} logger=%(name)s %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in (
        "aiohttp.access",
        "urllib3",
        "selenium",
        "engineio",
        "socketio",
        "undetected_chromedriver",
        "arq",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
