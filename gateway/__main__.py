"""Run one gateway: ``python -m gateway`` (settings from the environment)."""

from __future__ import annotations

from aiohttp import web

from gateway.app import create_app
from shared.logging import setup_logging
from shared.settings import Settings


def main() -> None:
    settings = Settings()
    setup_logging(settings.log_level, process="gateway")
    web.run_app(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
