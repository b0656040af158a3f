"""How a gateway process serves HTTP: ``serve(settings)`` runs the app until SIGTERM/SIGINT, then
shuts down within ``APP_SHUTDOWN_TIMEOUT_S`` (sockets closed at once by the hub, in-flight
requests given that long).

Requests aiohttp cannot even parse (a request line or header over 8 KB, bytes HTTP does not
allow) never reach a middleware: ``GatewayRunner`` answers them with the JSON error envelope too,
and logs one short line for them (at most one per interval, with a count of the rest) instead of
a traceback each, so garbage requests cannot flood the log.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
import uuid
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_server import Server

from gateway.errors import AppError, BadRequest, error_response
from shared.settings import Settings

log = logging.getLogger(__name__)

LOG_EVERY_S = 10.0
EXCERPT_CHARS = 80


class ProtocolLog:
    """At most one log line per interval; the rest are counted into the next one."""

    def __init__(self) -> None:
        self._last = -LOG_EVERY_S
        self._suppressed = 0

    def log(self, peer: object, err: AppError, detail: str) -> None:
        now = time.monotonic()
        if now - self._last < LOG_EVERY_S:
            self._suppressed += 1
            return
        more = f" (and {self._suppressed} more since the last one)" if self._suppressed else ""
        log.warning("bad HTTP request from %s answered %d: %r%s", peer, err.status, detail, more)
        self._last, self._suppressed = now, 0


PROTOCOL_LOG = ProtocolLog()  # per process


class _JsonErrorHandler(RequestHandler):
    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, HttpProcessingError) or status >= 500:
            return super().handle_error(request, status, exc, message)
        first = (exc.message or "").strip().splitlines()
        detail = first[0][:EXCERPT_CHARS] if first else ""
        err = BadRequest(
            "request: not a valid HTTP request (a request line or header over 8 KB, or bytes"
            " HTTP does not allow)"
        )
        PROTOCOL_LOG.log(request.remote, err, detail)
        response = error_response(err, uuid.uuid4().hex)
        response.force_close()
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorHandler(self, loop=self._loop, **self._kwargs)


class GatewayRunner(web.AppRunner):
    """``web.AppRunner`` whose connections answer unparseable requests with JSON."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        # the same server, only its connections are made by _JsonErrorHandler (aiohttp builds
        # the Server itself, with the app's handler and settings, and offers no other hook)
        server.__class__ = _JsonErrorServer
        return server


async def serve(app: web.Application, settings: Settings) -> None:
    runner = GatewayRunner(
        app, access_log=None, shutdown_timeout=settings.shutdown_timeout_s, handle_signals=False
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, settings.gateway_host, settings.gateway_port).start()
        log.info("gateway listening on %s:%d", settings.gateway_host, settings.gateway_port)
        await stop.wait()
        log.info("gateway stopping (signal)")
    finally:
        await runner.cleanup()
    log.info("gateway stopped")
