"""Run the webhook sender: ``python -m webhooks`` (settings from the environment). Run one or
more: one delivers, the others stand by. SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import signal

from shared.logging import setup_logging
from shared.settings import Settings
from webhooks.service import Sender


async def _main(settings: Settings) -> None:
    sender = Sender(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, sender.request_stop)
    await sender.run()


def main() -> None:
    settings = Settings()
    setup_logging(settings.log_level, process="webhooks")
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
