"""The dashboard for the 2026 page, in headless Chromium through nginx: linking with a phone number
(the code shown big with its expiry, following whatsapp:pairing_code), guidance for a passkey
prompt and an unknown dialog (en + ru), page drift on the session and operator pages, and the
"sent, not confirmed" tick. The worker's side is played by the test (Postgres rows + events)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium import webdriver

from shared import events
from shared.db.repos import messages, sessions
from shared.db.types import WaSession
from shared.payloads import message_payload
from tests.conftest import MakeUser
from tests.gateway.as_worker import (
    next_command,
    pairing_event,
    publish,
    set_message_status,
    set_page_drift,
    set_state,
    store_pairing_code,
)
from tests.gateway.conftest import MakeTenant, run
from tests.support.dashboard import Dashboard
from tests.support.wa import QR_REF, seed_chat, seed_session

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]
PASSKEY_DETAIL = "WhatsApp asks for a passkey after the scan; remove it on the phone, then Connect"
DIALOG_TEXT = "Review our updated terms to keep using WhatsApp Web."


async def _code(
    pg: AsyncConnectionPool, redis: Redis, session: WaSession, code: str, valid_s: float
) -> datetime:
    """A code on the page, as the worker reports it: stored, then published."""
    expires = datetime.now(UTC) + timedelta(seconds=valid_s)
    await store_pairing_code(pg, session.id, code, expires)
    await publish(pg, redis, pairing_event(session, code, "79035556677", expires))
    return expires


async def test_link_with_phone_number_shows_the_code_and_follows_it(
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    arq: ArqRedis,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, name="Sales", state="qr", qr=QR_REF)
    page = Dashboard(chrome, front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_session_rows, 1)
    await run(page.connect, str(session.id))
    await run(page.wait_qr_image)

    # not a phone number: the API's 400 is shown in place
    await run(page.ask_pairing_code, "12")
    assert (await run(page.pairing_error)).startswith("phone:")

    # the number: the request waits while the worker asks the page and stores the code
    await run(page.ask_pairing_code, "+7 (903) 555-66-77")
    name, args = await next_command(arq, session.id, timeout_s=30)
    assert (name, args["phone"]) == ("pairing_code", "79035556677")
    await _code(pg, redis, session, "K7QX9M2A", 180)
    shown = await run(page.wait_pairing_code, "K7QX9M2A")
    assert shown["text"] == "K7QX-9M2A"  # as the phone shows it: two groups of four
    assert re.fullmatch(r"Valid for (2:[0-5]\d|3:00)", shown["expiry"]), shown
    assert "+79035556677" in shown["hint"] and "Link with phone number instead" in shown["hint"]
    assert not shown["qr_visible"] and not shown["form_visible"]
    assert shown["status"] == "Type this code on your phone."

    # the page shows a new code (pushed live): it replaces the old one; once it expires the QR
    # is back and a new code can be asked for
    await _code(pg, redis, session, "ZZ99YY88", 2.5)
    await run(page.wait_pairing_code, "ZZ99YY88")
    expired = await run(page.wait_pairing_expired)
    assert expired["code"] == "ZZ99YY88" and expired["expiry"].startswith("The code has expired")
    assert expired["qr_visible"] and expired["form_visible"]

    # typed on the phone: the session is linked and the dialog closes
    await set_state(pg, redis, session, "authenticated", "qr_scanned")
    await set_state(pg, redis, session, "ready", "synced")
    ready = events.ReadyData(phone_number="79035556677", display_name="Sales Desk")
    await publish(
        pg,
        redis,
        events.ReadyEvent(session_id=session.id, company_id=t.company.id, data=ready),
    )
    await run(page.wait_qr_modal_closed)
    await run(page.wait_session_state, str(session.id), "ready")
    assert await run(page.console_errors) == []


async def test_guidance_page_drift_and_the_unconfirmed_tick(
    client: Client,
    chrome: webdriver.Chrome,
    front: str,
    make_tenant: MakeTenant,
    make_user: MakeUser,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, name="Sales", state="authenticated")
    sid = str(session.id)
    page = Dashboard(chrome, front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/sessions/{sid}")
    assert await run(page.session_detail, "drift") == "none: the worker read everything on the page"
    assert not await run(page.has_guidance)

    # a passkey prompt after the scan, while the connect dialog is open: guidance in the dialog
    await run(page.connect_from_session_page)
    await run(page.qr_modal_session)
    await set_state(pg, redis, session, "blocked", "passkey_required", PASSKEY_DETAIL)
    in_dialog = await run(page.guidance, "#qr-modal")
    assert in_dialog["reason"] == "passkey_required"
    assert in_dialog["title"] == "WhatsApp asks for a passkey"
    assert "Settings → Account → Passkeys" in in_dialog["text"]
    await run(page.run_script, "document.getElementById('qr-close').click()")

    # ... and on the session page, in both languages
    on_page = await run(page.wait_guidance_reason, "passkey_required")
    assert on_page["text"] == in_dialog["text"]
    await run(page.set_language, "ru")
    await run(page.wait_guidance_reason, "passkey_required")
    russian = await run(page.guidance)
    assert (
        "ключ доступа" in russian["title"]
        and "Настройки → Аккаунт → Ключи доступа" in (russian["text"])
    )
    await run(page.set_language, "en")

    # a dialog the worker does not know: its text is shown with what to do
    await set_state(pg, redis, session, "blocked", "unknown_dialog", DIALOG_TEXT)
    dialog = await run(page.wait_guidance_reason, "unknown_dialog")
    assert dialog["detail"] == DIALOG_TEXT and "Restart" in dialog["text"]

    # page drift, on the session page (kinds, counts, when) ...
    await set_page_drift(
        pg,
        session.id,
        {
            "row_unparsed": {"count": 3, "lastAt": "2026-06-13T20:19:00Z"},
            "layout_2027": {"count": 1, "lastAt": "2026-06-13T20:21:30Z"},
        },
    )
    await run(page.go, "#/sessions")
    await run(page.go, f"#/sessions/{sid}")
    drift = await run(page.wait_drift_items, 2)
    assert drift["row_unparsed"].startswith("Message rows not understood: 3 · ")
    assert drift["layout_2027"].startswith("layout_2027: 1")  # a kind unknown here, as it is

    # the "sent, not confirmed" tick, then "sent" once the row is seen on the page
    chat = await seed_chat(pg, session.id, "79035556677@c.us", name="Ann")
    async with pg.connection() as conn:
        sent, _ = await messages.create_outgoing(
            conn,
            session_id=session.id,
            chat_id=chat.id,
            client_msg_id="c-unconfirmed",
            body="typed on the page",
            sent_by_user_id=t.admin.id,
        )
    await set_message_status(pg, redis, sent.id, "unconfirmed")
    await run(page.go, f"#/chats/{sid}/{chat.id}")
    assert await run(page.message_tick, "typed on the page") == {
        "status": "unconfirmed",
        "title": "Sent, not confirmed",
        "label": "Sent, not confirmed",
    }
    await set_message_status(pg, redis, sent.id, "sent")
    async with pg.connection() as conn:
        row = await messages.get(
            conn, company_id=t.company.id, session_id=session.id, message_id=sent.id
        )
    assert row is not None and row.status == "sent"
    data = events.MessageData(
        chat_id=chat.id, message=message_payload(row, wa_chat_id=chat.wa_chat_id)
    )
    await publish(
        pg,
        redis,
        events.MessageSentEvent(session_id=session.id, company_id=t.company.id, data=data),
    )
    await run(page.wait_message_status, "typed on the page", "sent")
    assert await run(page.console_errors) == []

    # operators see the kinds and counts, and the bridge its worker uses
    async with pg.connection() as conn:
        await sessions.worker_set_bridge(conn, session_id=session.id, bridge="module")
    operator = await make_user("operator")
    await run(page.logout)
    await run(page.login, operator.user.email, operator.password)
    await run(page.wait_view, "ops")
    cell = await run(page.ops_drift, sid)
    assert cell == "layout_2027: 1, Message rows not understood: 3"
    assert await run(page.ops_bridge, sid) == "module (wa-js)"
    assert await run(page.console_errors) == []
