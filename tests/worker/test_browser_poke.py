"""A command does not wait for the long-poll: a poke over Chromium's DevTools socket ends it, on
both bridges, and a poke that comes before the long-poll makes it answer at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from shared.settings import Settings
from tests.support.sim import SimClient
from worker.browser.bridges import open_bridge
from worker.browser.observed import ChatRef
from worker.browser.poke import Poker, debugger_address
from worker.browser.profile import ensure_profile_dir
from worker.browser.thread import BrowserThread

pytestmark = pytest.mark.e2e

LONG_POLL_S = 25  # what a long-poll would last without the poke
ENDED_WITHIN_S = 10


class NoChats:
    async def by_name(self, name: str) -> ChatRef | None:
        return None

    async def by_wa_id(self, wa_chat_id: str) -> ChatRef | None:
        return None


@pytest.mark.parametrize("bridge", ["module", "page"])
async def test_a_poke_ends_the_long_poll(
    bridge: str, settings: Settings, sim: SimClient, sim_url: str, tmp_path: Path
) -> None:
    await sim.config(bridge="off" if bridge == "page" else "on")
    cfg = settings.model_copy(update={"wa_url": sim_url, "profile_dir": tmp_path, "bridge": bridge})
    browser = BrowserThread()
    await browser.start(cfg, ensure_profile_dir(tmp_path, "poke"))
    poker = Poker(await browser.call(debugger_address))
    try:
        opened = await open_bridge(cfg, browser, NoChats(), poker)
        assert opened.kind == bridge
        await opened.watch(0.1)  # the page is up
        waiting = asyncio.create_task(opened.watch(LONG_POLL_S))
        await asyncio.sleep(0.5)  # the long-poll waits inside the page now
        await opened.interrupt()
        async with asyncio.timeout(ENDED_WITHIN_S):
            await waiting
        assert await poker.poke("1")
        await opened.interrupt()  # no long-poll waits: the next one answers at once
        async with asyncio.timeout(ENDED_WITHIN_S):
            await opened.watch(LONG_POLL_S)
    finally:
        await poker.close()
        await browser.close()
