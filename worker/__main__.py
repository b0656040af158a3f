"""Run one worker: ``python -m worker`` (settings from the environment). SIGTERM hands off."""

from __future__ import annotations

import asyncio
import signal

from shared.logging import setup_logging
from shared.settings import Settings
from worker.process import WorkerProcess


async def _main(settings: Settings) -> None:
    process = WorkerProcess(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, process.request_exit)
    await process.run()


def main() -> None:
    settings = Settings()
    setup_logging(settings.log_level, process=f"worker:{settings.worker_id}")
    asyncio.run(_main(settings))


if __name__ == "__main__":
    main()
