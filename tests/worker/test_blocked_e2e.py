"""Sessions that cannot run go to ``blocked`` with a clear reason, and the worker survives."""

from __future__ import annotations

import pytest

from shared import events
from tests.support.events import is_state
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


async def test_profile_dir_not_writable_blocks_with_the_path(stack: Stack) -> None:
    not_a_dir = stack.profile_dir / "occupied"
    not_a_dir.write_text("a file where the profiles should be")
    worker = stack.start_worker("w1", APP_PROFILE_DIR=str(not_a_dir))
    session_id = await stack.new_session()
    blocked = await stack.tap.wait_for(is_state("blocked"), 60, "blocked")
    assert isinstance(blocked, events.StateEvent)
    assert blocked.data.reason == "profile_not_a_directory"
    assert blocked.data.detail and str(not_a_dir) in blocked.data.detail
    row = await stack.session_row(session_id)
    assert row.state == "blocked" and row.desired_state == "stopped"
    assert row.state_detail and str(not_a_dir) in row.state_detail
    assert worker.alive(), stack.logs()


async def test_browser_that_fails_to_start_blocks_without_crashing(stack: Stack) -> None:
    worker = stack.start_worker("w1", APP_CHROMIUM_PATH="/nonexistent/chromium")
    session_id = await stack.new_session()
    blocked = await stack.tap.wait_for(is_state("blocked", "browser_start_failed"), 60, "blocked")
    assert isinstance(blocked, events.StateEvent)
    assert blocked.data.detail and "/nonexistent/chromium" in blocked.data.detail
    assert (await stack.session_row(session_id)).state == "blocked"
    assert worker.alive(), stack.logs()
    # the worker went back to the pool: it still answers to a terminate cleanly
    assert worker.terminate(timeout_s=30) == 0, stack.logs()
