"""The worker's passkey flow in-process (real Postgres and Redis, the page and the relay played by
the test): Continue pressed until a request reaches the relay, or the relay is given up on; a
request published with its deadline; an answer handed over once; WhatsApp's refusals; the number
to confirm; deadlines; a page that dropped its request; stale commands."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import jobs
from shared.db.repos import passkeys
from shared.settings import Settings
from shared.states import Reason, SessionState
from tests.conftest import MakeCompany
from tests.support.databases import NAMES
from tests.support.passkeys import SoftPasskey
from tests.support.wa import PASSKEY_CHALLENGE, seed_session
from worker import passkey
from worker.browser.observed import Screen
from worker.browser.passkey_relay import PageRequest, PasskeyRelay
from worker.passkey import PasskeyFlow
from worker.publisher import Publisher

DETAILS = {
    "challenge": PASSKEY_CHALLENGE,
    "rpId": "whatsapp.com",
    "timeout": 600_000,
    "userVerification": "required",
    "allowCredentials": [],
    "extensions": {"remoteDesktopClientOverride": {"origin": "https://web.whatsapp.com"}},
}


@dataclass
class FakeRelay(PasskeyRelay):
    """What the relay extension would hold: the page's request, until completed or cancelled."""

    kind = "fake"
    waiting: PageRequest | None = None
    completed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: list[tuple[str, str]] = field(default_factory=list)

    async def pending(self) -> PageRequest | None:
        return self.waiting

    async def complete(self, page_id: str, response_json: str) -> bool:
        if self.waiting is None or self.waiting.page_id != page_id:
            return False
        self.waiting = None
        self.completed.append((page_id, response_json))
        return True

    async def cancel(self, page_id: str, name: str, message: str) -> bool:
        if self.waiting is None or self.waiting.page_id != page_id:
            return False
        self.waiting = None
        self.cancelled.append((page_id, name))
        return True


@dataclass
class FakePage:
    """The page's Continue: each press makes a request (unless the relay never sees it)."""

    relay: FakeRelay
    reaches_relay: bool = True
    presses: int = 0

    async def passkey_continue(self) -> bool:
        self.presses += 1
        if self.reaches_relay:
            self.relay.waiting = PageRequest(str(self.presses), DETAILS, None)
        return True


@dataclass
class Harness:
    flow: PasskeyFlow
    relay: FakeRelay
    page: FakePage
    publisher: Publisher
    stops: list[tuple[SessionState, str, str]]

    async def look(self, screen: Screen = Screen.PASSKEY, **seen: Any) -> None:
        if screen is Screen.PASSKEY:
            await self.flow.on_check(self.page, seen.get("alert"))  # type: ignore[arg-type]
        elif screen is Screen.PASSKEY_CODE:
            await self.flow.on_code(seen.get("code"))
        else:
            await self.flow.on_screen(screen)

    async def answer(self, request_id: UUID) -> jobs.PasskeyAnswer:
        """An admin's answer as the gateway lets it through: the request marked answered."""
        async with self.publisher.pg.connection() as conn:
            await passkeys.worker_end(
                conn, request_id=request_id, status="answered", from_statuses=("pending",)
            )
        credential = SoftPasskey().assertion(PASSKEY_CHALLENGE)
        return jobs.PasskeyAnswer.model_validate(
            {"session_id": uuid4(), "request_id": request_id, "credential": credential}
        )


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passkey, "CLICK_RETRY_S", 0.0)


@pytest.fixture
async def harness(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany
) -> Harness:
    company = await make_company()
    session = await seed_session(pg, company.id, state="qr")
    publisher = Publisher(
        pg,
        redis,
        channel=NAMES.events_channel,
        session_id=session.id,
        company_id=company.id,
        worker_id="w-flow",
    )
    stops: list[tuple[SessionState, str, str]] = []

    async def stop(state: SessionState, reason: str, detail: str) -> None:
        stops.append((state, reason, detail))

    flow = PasskeyFlow(settings, publisher, stop)
    relay = FakeRelay()
    flow._relay = relay  # what prepare() finds in a browser
    return Harness(flow, relay, FakePage(relay), publisher, stops)


async def _row(pg: AsyncConnectionPool, request_id: UUID) -> tuple[str, str | None]:
    async with pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=request_id)
    assert row is not None
    return row.status, row.ended_reason


async def test_a_request_is_published_answered_once_and_linked(
    harness: Harness, pg: AsyncConnectionPool
) -> None:
    await harness.look()  # Continue
    await harness.look()  # the request reached the relay: published
    assert harness.page.presses == 1
    assert (harness.publisher.state, harness.publisher.reason) == (
        SessionState.PASSKEY_REQUIRED,
        Reason.PASSKEY_REQUIRED,
    )
    open_ = harness.flow._open
    assert open_ is not None
    async with pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=open_.id)
    assert row is not None and row.origin == "https://web.whatsapp.com"
    assert "remoteDesktopClientOverride" not in str(row.options)  # never passed on
    stale = await harness.answer(uuid4())
    assert await harness.flow.answer(stale) == "stale: not the request on the page"
    job = await harness.answer(open_.id)
    assert await harness.flow.answer(job) == "handed to the page"
    assert await harness.flow.answer(job) == "answered already"
    [(page_id, sent)] = harness.relay.completed
    assert page_id == "1" and '"clientDataJSON"' in sent and "null" not in sent
    await harness.look()  # verifying: nothing to do
    await harness.look(Screen.PASSKEY_CODE, code="47")
    assert harness.publisher.state == SessionState.PASSKEY_CONFIRMATION
    assert (await _row(pg, open_.id))[0] == "confirming"
    await harness.look(Screen.SYNCING)
    assert await _row(pg, open_.id) == ("done", "linked")
    assert harness.stops == []


async def test_refused_answers_make_new_requests_then_end_the_attempt(
    harness: Harness, pg: AsyncConnectionPool
) -> None:
    ids = []
    for _ in range(passkey.MAX_REJECTIONS):
        await harness.look()
        await harness.look()
        assert harness.flow._open is not None
        ids.append(harness.flow._open.id)
        await harness.flow.answer(await harness.answer(ids[-1]))
        await harness.look(alert="Couldn't verify it's you. Try again.")
    assert len(set(ids)) == passkey.MAX_REJECTIONS
    assert [(await _row(pg, i))[0] for i in ids] == ["rejected"] * passkey.MAX_REJECTIONS
    assert harness.publisher.reason == Reason.PASSKEY_REJECTED  # the requests after the first
    [(state, reason, _)] = harness.stops
    assert (state, reason) == (SessionState.STOPPED, Reason.PASSKEY_REJECTED)


async def test_a_request_that_never_reaches_the_relay_blocks(harness: Harness) -> None:
    harness.page.reaches_relay = False
    for _ in range(passkey.MAX_CLICKS + 1):
        await harness.look()
    assert harness.page.presses == passkey.MAX_CLICKS
    [(state, reason, detail)] = harness.stops
    assert (state, reason) == (SessionState.BLOCKED, Reason.PASSKEY_RELAY_FAILED)
    assert "fake" in detail


async def test_deadlines_cancel_the_pages_request(
    settings: Settings, harness: Harness, pg: AsyncConnectionPool
) -> None:
    harness.flow._settings = settings.model_copy(update={"passkey_wait_s": 0.05})
    await harness.look()
    await harness.look()
    assert harness.flow._open is not None
    request_id = harness.flow._open.id
    await asyncio.sleep(0.1)
    await harness.look()
    assert harness.relay.cancelled == [("1", "NotAllowedError")]
    assert (await _row(pg, request_id))[0] == "expired"
    [(state, reason, _)] = harness.stops
    assert (state, reason) == (SessionState.STOPPED, Reason.PASSKEY_TIMEOUT)


async def test_an_unconfirmed_number_times_out(
    harness: Harness, pg: AsyncConnectionPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passkey, "CONFIRM_LIFETIME", timedelta(seconds=0.05))
    await harness.look()
    await harness.look()
    assert harness.flow._open is not None
    request_id = harness.flow._open.id
    await harness.flow.answer(await harness.answer(request_id))
    await harness.look(Screen.PASSKEY_CODE, code="47")
    await asyncio.sleep(0.1)
    await harness.look(Screen.PASSKEY_CODE, code="47")
    assert harness.relay.cancelled == []  # answered: the page's request is WhatsApp's now
    assert (await _row(pg, request_id))[0] == "expired"
    assert harness.stops[0][1] == Reason.PASSKEY_TIMEOUT


async def test_a_dropped_request_is_asked_again_and_a_cancel_ends_it(
    harness: Harness, pg: AsyncConnectionPool
) -> None:
    await harness.look()
    await harness.look()
    assert harness.flow._open is not None
    dropped = harness.flow._open.id
    harness.relay.waiting = None  # the page reloaded
    await harness.look()
    assert await _row(pg, dropped) == ("failed", "the page dropped it")
    await harness.look()  # Continue again
    await harness.look()
    assert harness.flow._open is not None and harness.page.presses == 2
    current = harness.flow._open.id
    stale = jobs.PasskeyCancel(session_id=uuid4(), request_id=dropped)
    assert await harness.flow.cancel(stale) == "stale: not the request on the page"
    done = await harness.flow.cancel(jobs.PasskeyCancel(session_id=uuid4(), request_id=current))
    assert done == "cancelled"
    assert harness.relay.cancelled == [("2", "NotAllowedError")]
    assert harness.stops[0][:2] == (SessionState.STOPPED, Reason.PASSKEY_CANCELLED)


async def test_without_a_relay_the_session_is_blocked_with_what_to_do(
    settings: Settings, harness: Harness
) -> None:
    harness.flow._relay = None
    harness.flow._settings = settings.model_copy(update={"passkey_relay": "off"})
    await harness.look()
    [(state, reason, detail)] = harness.stops
    assert (state, reason) == (SessionState.BLOCKED, Reason.PASSKEY_REQUIRED)
    assert "APP_PASSKEY_RELAY=off" in detail and "Passkeys" in detail
