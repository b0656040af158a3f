"""What tests (and benches) that launch Chromium in-process share: a private temp root for the
launches, and a small local http page to point the browser at."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from worker.browser import tempdirs


def private_tempdirs() -> Iterator[Path]:
    """Launches (and the stale-dir sweep) use a private temp root, never the shared /tmp; for a
    module-scoped fixture (``yield from private_tempdirs()``)."""
    root = Path(tempfile.mkdtemp(prefix="wagw-t-"))  # short: Chromium puts a unix socket in it
    saved, tempdirs.ROOT = tempdirs.ROOT, root
    try:
        yield root
    finally:
        tempdirs.ROOT = saved
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def static_page(html: bytes) -> Iterator[str]:
    """An http URL answering ``html`` to every GET (an http page, not ``data:``: a ``data:``
    page's reload does not end a waiting DevTools evaluation, and its navigations are blocked)."""

    class _Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
