"""Run one gateway: ``python -m gateway`` (settings from the environment)."""

from __future__ import annotations

import asyncio

from gateway.app import create_app
from gateway.server import serve
from shared.logging import setup_logging
from shared.settings import Settings


def main() -> None:
    settings = Settings()
    setup_logging(settings.log_level, process="gateway")
    asyncio.run(serve(create_app(settings), settings))


if __name__ == "__main__":
    main()
