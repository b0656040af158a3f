"""WhatsApp's passkey check relayed to the admin's own browser, end to end with real Chromium on
both sides: the worker's page (the relay extension, or its injected fallback) on the simulator
served as https://web.whatsapp.com, which verifies the assertion; the admin's dashboard with the
signer extension downloaded from it, or the console snippet, and a virtual authenticator holding
the account's passkey. Refused answers leave the request as it was, or end it cleanly.

The simulator, the gateway and the admin's browser are shared by the module; each test has its
own company and worker.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import aiohttp
import pytest
from selenium import webdriver

from shared import events
from shared.db.repos import audit, passkeys
from tests.support.dashboard import Dashboard, make_chrome, quit_chrome
from tests.support.events import is_state, of_type
from tests.support.passkey_page import PasskeyPanel, add_authenticator
from tests.support.passkeys import SoftPasskey
from tests.support.procs import processes_mentioning
from tests.support.relay import Person, RelayRun, RelayStack, relay_run
from tests.support.stack import unique_phone

pytestmark = pytest.mark.e2e
API = "/api/whatsapp/sessions"


@pytest.fixture(scope="module")
def relay(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayStack]:
    stack = RelayStack.start(database_url, tmp_path_factory.mktemp("relay"))
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture(scope="module")
def admin_chrome(
    relay: RelayStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[webdriver.Chrome]:
    """The admin's desktop browser with the signer extension from the dashboard's download."""
    work = tmp_path_factory.mktemp("admin")
    extension = relay.signer_extension(work / "signer")
    driver = make_chrome(work, extra_args=[f"--load-extension={extension}", *relay.chromium_args])
    try:
        yield driver
    finally:
        quit_chrome(driver)


@pytest.fixture
async def run(relay: RelayStack) -> AsyncIterator[RelayRun]:
    async for each in relay_run(relay):
        yield each


class Api:
    """The gateway's REST API as one user."""

    def __init__(self, http: aiohttp.ClientSession, base: str, who: Person) -> None:
        self._http, self._base, self._headers = http, base, who.headers

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self._http.request(
            method, self._base + path, json=body, headers=self._headers
        ) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def _session(run: RelayRun, api: Api, name: str = "Keyed") -> UUID:
    status, body = await api.call("POST", API, {"name": name})
    assert status == 201, body
    session_id = UUID(body["data"]["sessionId"])
    run.tap.sessions.add(session_id)
    return session_id


async def _scan(run: RelayRun, phone: str) -> events.PasskeyRequiredEvent:
    """The phone scans the QR code; WhatsApp asks for the passkey."""
    qr = await run.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await run.sim.link(qr.data.qr_raw, phone, "Keyed Shop")
    asked = await run.tap.wait_for(of_type("passkey_required"), 60, "passkey_required")
    assert isinstance(asked, events.PasskeyRequiredEvent)
    return asked


async def _keyed_account(run: RelayRun, key: SoftPasskey, *, confirm: bool = False) -> str:
    phone = unique_phone()
    await run.sim.create_account(phone, "Keyed Shop")
    await run.sim.passkey(phone, True, key.registration(), confirm=confirm)
    return phone


async def _dashboard(driver: webdriver.Chrome, relay: RelayStack, admin: Person) -> Dashboard:
    page = Dashboard(driver, relay.gateway_url)
    await asyncio.to_thread(page.open)
    await asyncio.to_thread(driver.execute_script, "localStorage.clear()")  # an earlier test's
    # reload: the open page still holds the earlier test's sign-in and would redraw the login
    # form under the typing when it learns of it (a stale element)
    await asyncio.to_thread(driver.refresh)
    await asyncio.to_thread(page.wait_view, "login")
    await asyncio.to_thread(page.login, admin.email, admin.password)
    await asyncio.to_thread(page.wait_view, "sessions")
    return page


async def _actions(run: RelayRun) -> list[str]:
    assert run.company_id is not None
    async with run.pg.connection() as conn:
        rows = await audit.list_for_company(conn, company_id=run.company_id)
    return [r.action for r in reversed(rows)]


async def test_the_admin_signs_with_the_extension_and_confirms_the_number(
    run: RelayRun, relay: RelayStack, admin_chrome: webdriver.Chrome, http: aiohttp.ClientSession
) -> None:
    key = SoftPasskey()
    phone = await _keyed_account(run, key, confirm=True)
    admin = await run.person("admin")
    api = Api(http, relay.gateway_url, admin)
    run.start_worker("w-ext")
    session_id = await _session(run, api)
    page = await _dashboard(admin_chrome, relay, admin)
    panel = PasskeyPanel(page)
    await asyncio.to_thread(page.connect, str(session_id))

    asked = await _scan(run, phone)
    assert asked.data.options.rp_id == "whatsapp.com"
    assert asked.data.options.user_verification == "required"
    assert asked.data.origin == "https://web.whatsapp.com"
    shown = await asyncio.to_thread(panel.wait_stage, "asks for your account's passkey")
    assert shown["deadline"].startswith("Time left: 9:") or shown["deadline"].startswith(
        "Time left: 10:"
    )
    assert "installed" in await asyncio.to_thread(panel.wait_extension_ready)

    # the extension opens web.whatsapp.com; the admin's passkey signs there on their click
    tab = await asyncio.to_thread(panel.sign_with_extension)
    await asyncio.to_thread(add_authenticator, admin_chrome, key)
    await asyncio.to_thread(panel.press_in_signer)
    await asyncio.to_thread(panel.wait_tab_closed, tab)

    # WhatsApp verified it and shows a number; the phone confirms the same one
    confirming = await run.tap.wait_for(of_type("passkey_confirmation"), 30, "confirmation")
    assert isinstance(confirming, events.PasskeyConfirmationEvent)
    code = await asyncio.to_thread(panel.wait_code)
    assert code == confirming.data.code
    await run.tap.wait_for(is_state("passkey_confirmation", "passkey_verified"), 10, "state")
    assert await run.sim.passkey_confirm(phone, code) is True
    await run.tap.wait_for(is_state("ready"), 60, "ready")
    await asyncio.to_thread(page.wait_qr_modal_closed)

    async with run.pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=asked.data.request_id)
    assert row is not None and (row.status, row.answered_by) == ("done", admin.user_id)
    assert "session.passkey_answer" in await _actions(run)
    assert "passkey_relay=extension" in run.worker_log()
    status, _ = await api.call("POST", f"{API}/{session_id}/stop")
    assert status == 200


async def test_the_console_snippet_path(
    run: RelayRun, relay: RelayStack, admin_chrome: webdriver.Chrome, http: aiohttp.ClientSession
) -> None:
    key = SoftPasskey()
    phone = await _keyed_account(run, key)
    admin = await run.person("admin")
    api = Api(http, relay.gateway_url, admin)
    run.start_worker("w-console")
    session_id = await _session(run, api)
    page = await _dashboard(admin_chrome, relay, admin)
    panel = PasskeyPanel(page)
    await asyncio.to_thread(page.connect, str(session_id))
    await _scan(run, phone)
    await asyncio.to_thread(panel.wait_stage, "asks for your account's passkey")

    snippet = await asyncio.to_thread(panel.snippet)
    printed = await asyncio.to_thread(panel.run_in_console, snippet, key)
    assert printed.startswith('{"id":'), printed[:200]
    await asyncio.to_thread(panel.paste_and_send, printed)
    await run.tap.wait_for(is_state("ready"), 60, "ready")
    await asyncio.to_thread(page.wait_qr_modal_closed)
    status, _ = await api.call("POST", f"{API}/{session_id}/stop")
    assert status == 200


async def test_refused_answers_then_a_cancel_end_the_pages_request_cleanly(
    run: RelayRun, relay: RelayStack, http: aiohttp.ClientSession
) -> None:
    key = SoftPasskey()
    phone = await _keyed_account(run, key)
    admin = await run.person("admin")
    manager = await run.person("manager")
    outsider = await run.person("admin", other_company=True)
    api, as_manager = Api(http, relay.gateway_url, admin), Api(http, relay.gateway_url, manager)
    as_outsider = Api(http, relay.gateway_url, outsider)
    run.start_worker("w-refuse")
    session_id = await _session(run, api)
    other_session = await _session(run, api, "Other")
    asked = await _scan(run, phone)
    first = asked.data
    answer_path = f"{API}/{session_id}/passkey"
    good_shape = key.assertion(first.options.challenge)

    # who may not answer it, and answers that do not answer it: refused, the request stays
    refusals: list[tuple[Api, str, dict[str, Any], int, str | None]] = [
        (as_manager, answer_path, good_shape, 403, None),
        (as_outsider, answer_path, good_shape, 404, None),
        (api, f"{API}/{other_session}/passkey", good_shape, 404, None),
        (api, answer_path, key.assertion("b3RoZXItY2hhbGxlbmdlLTAwMDAwMDA"), 400,
         "credential.response.clientDataJSON.challenge"),
        (api, answer_path, key.assertion(first.options.challenge, origin="https://evil.example"),
         400, "credential.response.clientDataJSON.origin"),
        (api, answer_path, key.assertion(first.options.challenge, flags=0x01), 400,
         "credential.response.authenticatorData.flags"),
        (api, answer_path, key.assertion(first.options.challenge, rp_id="evil.example"), 400,
         "credential.response.authenticatorData.rpIdHash"),
    ]  # fmt: skip
    for who, path, credential, status, field in refusals:
        got, body = await who.call("POST", path, {"requestId": str(first.request_id),
                                                  "credential": credential})  # fmt: skip
        assert got == status, body
        if field is not None:
            assert body["error"]["details"][0]["field"] == field
    got, body = await api.call("GET", answer_path)
    assert (got, body["data"]["stage"], body["data"]["requestId"]) == (
        200, "sign", str(first.request_id)
    )  # fmt: skip

    # the right request, signed by a key that is not the account's: WhatsApp refuses it, the
    # check shows again and the page makes a new request
    wrong = SoftPasskey(credential_id=key.credential_id).assertion(first.options.challenge)
    got, body = await api.call("POST", answer_path, {"requestId": str(first.request_id),
                                                     "credential": wrong})  # fmt: skip
    assert got == 202, body
    await run.tap.wait_for(is_state("passkey_required", "passkey_rejected"), 30, "rejected")
    again = await run.tap.wait_for(
        lambda e: (
            isinstance(e, events.PasskeyRequiredEvent) and e.data.request_id != first.request_id
        ),
        30,
        "a new request",
    )
    assert isinstance(again, events.PasskeyRequiredEvent)
    second = again.data
    assert second.options.challenge != first.options.challenge

    # replayed: the answer of the first request, again; then on the new one
    got, body = await api.call("POST", answer_path, {"requestId": str(first.request_id),
                                                     "credential": wrong})  # fmt: skip
    assert got == 409, body
    got, body = await api.call("POST", answer_path, {"requestId": str(second.request_id),
                                                     "credential": good_shape})  # fmt: skip
    assert (got, body["error"]["details"][0]["field"]) == (
        400, "credential.response.clientDataJSON.challenge"
    )  # fmt: skip

    # the admin cancels: the page's request is rejected, the session stops
    cancel = {"requestId": str(second.request_id)}
    got, body = await as_manager.call("POST", f"{answer_path}/cancel", cancel)
    assert got == 403, body
    got, body = await api.call("POST", f"{answer_path}/cancel", cancel)
    assert (got, body["data"]["status"]) == (200, "cancelled"), body
    stopped = await run.tap.wait_for(is_state("stopped", "passkey_cancelled"), 30, "stopped")
    assert isinstance(stopped, events.StateEvent) and stopped.data.detail
    got, _ = await api.call("POST", f"{answer_path}/cancel", cancel)
    assert got == 409
    late = key.assertion(second.options.challenge)
    got, _ = await api.call("POST", answer_path, {**cancel, "credential": late})
    assert got == 409
    assert "cancelled on the page" in run.worker_log()
    await _until_gone(run, phone)

    actions = await _actions(run)
    assert actions.count("session.passkey_answer") == 1
    assert actions.count("session.passkey_cancel") == 1
    assert actions.count("session.passkey_refused") >= 7
    async with run.pg.connection() as conn:
        rows = [await passkeys.worker_get(conn, request_id=r.request_id) for r in (first, second)]
    assert [r.status if r else None for r in rows] == ["rejected", "cancelled"]


async def _until_gone(run: RelayRun, phone: str) -> None:
    """The worker's browser is gone: the simulator no longer has its device waiting on the check."""
    for _ in range(100):
        waiting = [d for d in await run.sim.devices() if d["passkeyPhone"] == phone]
        if not waiting and not processes_mentioning(str(run.stack.settings.profile_dir)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the worker's page still waits on the check: {waiting}")


async def test_no_authenticator_times_out_clearly_and_a_late_answer_is_refused(
    run: RelayRun, relay: RelayStack, admin_chrome: webdriver.Chrome, http: aiohttp.ClientSession
) -> None:
    key = SoftPasskey()
    phone = await _keyed_account(run, key)
    admin = await run.person("admin")
    api = Api(http, relay.gateway_url, admin)
    run.start_worker("w-late", APP_PASSKEY_WAIT_S="8")  # 8 s for the admin instead of 10 minutes
    session_id = await _session(run, api)
    page = await _dashboard(admin_chrome, relay, admin)
    panel = PasskeyPanel(page)
    await asyncio.to_thread(page.connect, str(session_id))
    asked = await _scan(run, phone)
    await asyncio.to_thread(panel.wait_stage, "asks for your account's passkey")

    # the admin's browser has no authenticator: the signer waits, then the deadline ends it all
    tab = await asyncio.to_thread(panel.sign_with_extension)
    await asyncio.to_thread(panel.press_in_signer)
    await asyncio.to_thread(panel.back_home)
    timeout = await run.tap.wait_for(is_state("stopped", "passkey_timeout"), 30, "timeout")
    assert isinstance(timeout, events.StateEvent)
    ended = await asyncio.to_thread(panel.wait_stage, "in time")
    assert "Press Connect" in ended["stage"]
    await asyncio.to_thread(panel.wait_tab_closed, tab)  # the signer's tab is closed for it

    late = key.assertion(asked.data.options.challenge)
    body = {"requestId": str(asked.data.request_id), "credential": late}
    got, answer = await api.call("POST", f"{API}/{session_id}/passkey", body)
    assert (got, answer["error"]["code"]) == (410, "gone"), answer
    async with run.pg.connection() as conn:
        row = await passkeys.worker_get(conn, request_id=asked.data.request_id)
    assert row is not None and row.status == "expired"
    await _until_gone(run, phone)


async def test_the_injected_fallback_when_the_extension_cannot_load(
    run: RelayRun, relay: RelayStack, http: aiohttp.ClientSession
) -> None:
    key = SoftPasskey()
    phone = await _keyed_account(run, key)
    admin = await run.person("admin")
    api = Api(http, relay.gateway_url, admin)
    # an operator's own --disable-extensions-except (last, so it wins) keeps the relay out
    extra = shlex.join([*relay.chromium_args, "--disable-extensions-except=/nonexistent"])
    run.start_worker("w-script", APP_CHROMIUM_EXTRA_ARGS=extra)
    session_id = await _session(run, api)
    asked = await _scan(run, phone)
    credential = key.assertion(asked.data.options.challenge)
    body = {"requestId": str(asked.data.request_id), "credential": credential}
    got, answer = await api.call("POST", f"{API}/{session_id}/passkey", body)
    assert got == 202, answer
    await run.tap.wait_for(is_state("ready"), 60, "ready")
    log = run.worker_log()
    assert "the injected script instead" in log and "passkey_relay=script" in log
    status, _ = await api.call("POST", f"{API}/{session_id}/stop")
    assert status == 200
