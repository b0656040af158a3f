"""``python -m simulator --port 8090``: run the WhatsApp Web stand-in and its control API."""

from __future__ import annotations

import argparse
import logging
import ssl

from aiohttp import web

from simulator.app import create_app
from simulator.config import SimConfig

log = logging.getLogger("simulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090)
    p.add_argument("--qr-first-ms", type=int, default=60_000, help="life of the first QR code")
    p.add_argument("--qr-rotate-ms", type=int, default=20_000, help="life of each later code")
    p.add_argument("--qr-count", type=int, default=6, help="codes before the reload button")
    p.add_argument("--load-ms", type=int, default=800, help="startup splash")
    p.add_argument("--sync-ms", type=int, default=1_500, help='"Loading your chats" after a scan')
    p.add_argument(
        "--page-profile",
        choices=["2026", "legacy"],
        default="2026",
        help="the page as WhatsApp Web serves it in 2026, or the 2023-era page",
    )
    p.add_argument(
        "--locale",
        choices=["auto", "en-US", "en-GB", "ru-RU"],
        default="auto",
        help="times and unread labels of the 2026 page (auto: the browser's language)",
    )
    p.add_argument(
        "--bridge",
        choices=["on", "off"],
        default="on",
        help="on: every page load installs a WPP stand-in (wa-js's API) over any injected one",
    )
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain)")
    p.add_argument("--tls-key", help="the certificate's PEM private key")
    p.add_argument("--log-level", default="INFO")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s proc=simulator logger=%(name)s %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    config = SimConfig(
        qr_first_ms=args.qr_first_ms,
        qr_rotate_ms=args.qr_rotate_ms,
        qr_count=args.qr_count,
        load_ms=args.load_ms,
        sync_ms=args.sync_ms,
        page_profile=args.page_profile,
        locale=args.locale,
        bridge=args.bridge,
    )
    tls = _tls(args.tls_cert, args.tls_key)
    log.info(
        "simulator on %s://%s:%s (control API under /_sim/) page_profile=%s bridge=%s",
        "https" if tls else "http",
        args.host,
        args.port,
        args.page_profile,
        args.bridge,
    )
    web.run_app(
        create_app(config),
        host=args.host,
        port=args.port,
        ssl_context=tls,
        print=None,
        shutdown_timeout=2,
    )


def _tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """HTTPS, so browsers can be pointed at it as https://web.whatsapp.com (WebAuthn needs a
    secure origin): e.g. a self-signed certificate for that name, and Chromium's
    --host-resolver-rules plus --ignore-certificate-errors."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise SystemExit("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


if __name__ == "__main__":
    main()
