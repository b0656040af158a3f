"""The dashboard as a manager's inbox, in headless Chromium through nginx, at phone (390 x 844) and
desktop sizes: no horizontal scrolling and no serious or critical axe-core finding on any view,
list -> conversation -> back on a phone, the language of the browser, the keyed message list, a
notification for a background tab, search, filters, assignment, quick replies and retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium.webdriver.common.keys import Keys

from shared import events
from shared.db.repos import chats, messages
from shared.db.types import Chat, Message, WaSession
from shared.payloads import chat_payload, message_payload
from tests.conftest import MakeUser
from tests.gateway.as_worker import publish, set_message_status
from tests.gateway.conftest import MakeBrowser, MakeTenant, Tenant, run
from tests.support.dashboard import DESKTOP, PHONE, Dashboard
from tests.support.stack import Stack, unique_phone
from tests.support.wa import QR_REF, grant, seed_chat, seed_session

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]


async def _message(
    pg: AsyncConnectionPool,
    session: WaSession,
    chat: Chat,
    n: int,
    body: str,
    *,
    at: datetime,
    direction: str = "in",
    status: str = "delivered",
) -> Message:
    async with pg.connection() as conn:
        row, _ = await messages.worker_upsert_observed(
            conn,
            session_id=session.id,
            chat_id=chat.id,
            wa_msg_id=f"WAID{n:06d}{chat.id.hex[:6]}",
            direction=direction,
            sender="Carol" if direction == "in" else None,
            body=body,
            status=status,
            wa_timestamp=at,
        )
    return row


async def _inbox(
    pg: AsyncConnectionPool, redis: Redis, t: Tenant
) -> tuple[WaSession, Chat, list[Message]]:
    """A linked session with three chats; Carol's has yesterday's and today's messages, two
    of today's unread, and one failed reply."""
    session = await seed_session(
        pg, t.company.id, name="Sales", state="ready", phone="79990001122", display_name="Desk"
    )
    now = datetime.now(UTC).replace(microsecond=0)
    carol = await seed_chat(pg, session.id, "79161234567@c.us", name="Carol Smith", unread=2)
    await seed_chat(
        pg, session.id, "79035556677@c.us", name="Борис", at=now - timedelta(seconds=30)
    )
    await seed_chat(
        pg, session.id, "79267778899@c.us", name="Dmitry", unread=1, at=now - timedelta(hours=2)
    )
    day_before = now - timedelta(days=1)
    rows = [
        await _message(pg, session, carol, 1, "Hello, is the sofa available?", at=day_before),
        await _message(
            pg, session, carol, 2, "Yes, it is!", at=day_before + timedelta(minutes=2),
            direction="out", status="read",
        ),
        await _message(pg, session, carol, 3, "Can you deliver on Saturday?", at=now),
        await _message(pg, session, carol, 4, "Invoice 1042 please", at=now),
    ]  # fmt: skip
    async with pg.connection() as conn:
        failed, _ = await messages.create_outgoing(
            conn,
            session_id=session.id,
            chat_id=carol.id,
            client_msg_id="c-failed-1",
            body="Sure, Saturday 10-14",
            sent_by_user_id=t.admin.id,
        )
        await chats.worker_upsert(
            conn,
            session_id=session.id,
            wa_chat_id=carol.wa_chat_id,
            name=carol.name,
            is_group=False,
            last_message_at=now - timedelta(minutes=1),
            last_message_preview="Sure, Saturday 10-14",
        )
    await set_message_status(pg, redis, failed.id, "failed")
    return session, carol, rows


async def _views(
    page: Dashboard, session: WaSession, chat: Chat, role: str, linking: WaSession | None = None
) -> dict[str, Any]:
    """Visit every view of ``role``; per view: overflow in px and axe's serious/critical
    findings (both must be empty)."""
    sid = str(session.id)
    routes = {
        "admin": [
            ("sessions", "#/sessions", "[data-testid=session-row]"),
            ("session", f"#/sessions/{sid}", "[data-testid=access-table]"),
            ("chats", f"#/chats/{sid}", "[data-testid=chat-item]"),
            ("conversation", f"#/chats/{sid}/{chat.id}", "[data-testid=message]"),
            ("quick-replies", "#/quick-replies", "[data-testid=quick-reply]"),
            ("managers", "#/managers", "[data-testid=manager-row]"),
            ("stats", "#/stats", "[data-testid=stats-chart]"),
        ],
        "operator": [("ops", "#/ops", "[data-testid=ops-session-row]")],
    }[role]
    found: dict[str, Any] = {}
    for name, route, ready in routes:
        await run(page.go, route)
        await run(page.wait_visible, ready)
        await run(page.settle)
        found[name] = {"overflow": await run(page.overflow_px), "axe": await run(page.axe)}
    if linking is not None:
        await run(page.go, "#/sessions")
        await run(page.connect, str(linking.id))  # the connect dialog over the list
        await run(page.wait_qr_image)
        await run(page.wait_visible, "#qr-modal")
        await run(page.settle)
        found["connect-dialog"] = {
            "overflow": await run(page.overflow_px),
            "axe": await run(page.axe),
        }
        await run(page.click, "#qr-close")
        await run(page.open_menu)
        await run(page.wait_visible, "#logout")
        found["menu"] = {"overflow": await run(page.overflow_px), "axe": await run(page.axe)}
        await run(page.click, "#menu-toggle")
    return found


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_every_view_fits_the_screen_and_passes_axe(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    make_user: MakeUser,
    pg: AsyncConnectionPool,
    redis: Redis,
    size: tuple[int, int],
) -> None:
    t = await make_tenant()
    operator = await make_user("operator")
    session, carol, _ = await _inbox(pg, redis, t)
    linking = await seed_session(pg, t.company.id, name="Support", state="qr", qr=QR_REF)
    for name in ("Returns", "Wholesale", "Night shift"):  # a large table, as axe counts it
        await seed_session(pg, t.company.id, name=name, state="stopped")
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    page = Dashboard(make_browser(size), front + "/")
    await run(page.open, "#/login")
    await run(page.wait_visible, "#login-email")
    clean = {"overflow": 0, "axe": []}
    assert {"overflow": await run(page.overflow_px), "axe": await run(page.axe)} == clean

    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    found = await _views(page, session, carol, "admin", linking)
    assert found == {name: clean for name in found}, found
    await run(page.logout)
    await run(page.login, operator.user.email, operator.password)
    await run(page.wait_view, "ops")
    found = await _views(page, session, carol, "operator")
    assert found == {"ops": clean}, found
    assert await run(page.console_errors) == []


async def test_phone_list_conversation_back_in_the_browsers_language(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session, carol, _ = await _inbox(pg, redis, t)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    page = Dashboard(make_browser(PHONE, "ru-RU,ru,en"), front + "/")

    # a Russian browser gets Russian at once
    await run(page.open, "#/login")
    assert await run(page.text_of, "#login-submit") == "Войти"
    assert await run(page.html_lang) == "ru"
    await run(page.login, t.manager.user.email, t.manager.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{session.id}")
    await run(page.wait_chat)
    assert await run(page.pane_visible, "list") and not await run(page.pane_visible, "chat")

    # list -> conversation: the list and the header give the screen to the chat
    await run(page.open_chat, str(carol.id))
    await run(page.wait_message, "Invoice 1042 please")
    assert not await run(page.pane_visible, "list") and await run(page.pane_visible, "chat")
    assert not await run(page.topbar_visible)
    assert await run(page.day_separators) == ["Вчера", "Сегодня"]
    assert await run(page.has_unread_divider)
    assert await run(page.overflow_px) == 0
    # opening it marked it read (the manager may manage chats)
    await run(page.wait_gone, f'[data-chat-id="{carol.id}"] [data-testid=chat-unread]')

    # ... and back
    await run(page.chat_back)
    await run(page.wait_visible, "[data-testid=chat-list]")
    assert await run(page.pane_visible, "list") and not await run(page.pane_visible, "chat")
    assert await run(page.topbar_visible)

    # another language chosen in the menu is remembered over the browser's
    await run(page.menu_language, "en")
    await run(page.open, "#/sessions")
    await run(page.wait_view, "sessions")
    assert await run(page.html_lang) == "en"
    assert await run(page.nav_texts) == ["", ""]  # folded behind the menu button on a phone
    await run(page.open_menu)
    assert await run(page.nav_texts) == ["Sessions", "Statistics"]
    assert await run(page.console_errors) == []


async def test_ticks_and_new_messages_keep_every_other_bubble(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session, carol, rows = await _inbox(pg, redis, t)
    reply = rows[1]
    await set_message_status(pg, redis, reply.id, "sent")
    earlier = datetime.now(UTC) - timedelta(days=1, hours=1)
    for n in range(100, 120):  # enough to scroll
        await _message(pg, session, carol, n, f"earlier {n}", at=earlier + timedelta(seconds=n))
    page = Dashboard(make_browser(DESKTOP), front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{session.id}/{carol.id}")
    await run(page.wait_message_count, 25)
    assert await run(page.message_status, "Yes, it is!") == "sent"
    assert await run(page.mark_bubbles) == 25

    # acks change one tick in place: every bubble stays the element it was
    for status in ("delivered", "read"):
        await set_message_status(pg, redis, reply.id, status)  # and its ack event
        await run(page.wait_message_status, "Yes, it is!", status)
    assert await run(page.message_status, "Sure, Saturday 10-14") == "failed"
    assert await run(page.marked_bubbles_kept) == {"kept": 25, "fresh": 0}

    # a new message is added; scrolled up, the jump button counts what came meanwhile
    await run(page.scroll_messages_to_top)
    for n, text in ((10, "Are you there?"), (11, "Hello?")):
        row = await _message(pg, session, carol, n, text, at=datetime.now(UTC))
        data = events.MessageData(
            chat_id=carol.id, message=message_payload(row, wa_chat_id=carol.wa_chat_id)
        )
        await publish(
            pg,
            redis,
            events.MessageEvent(session_id=session.id, company_id=t.company.id, data=data),
        )
        await run(page.wait_message, text)
    assert await run(page.marked_bubbles_kept) == {"kept": 25, "fresh": 2}
    await run(page.wait_jump_count, "2")
    await run(page.jump_to_bottom)
    await run(page.wait_until_at_bottom)
    assert await run(page.console_errors) == []


async def test_notification_for_a_background_tab_never_for_own_messages(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session, carol, _ = await _inbox(pg, redis, t)
    await grant(pg, t.company.id, session.id, t.manager.id)  # read only
    page = Dashboard(make_browser(DESKTOP), front + "/")
    await run(page.open, "#/login")
    await run(page.grant_notifications)
    await run(page.login, t.manager.user.email, t.manager.password)
    await run(page.wait_view, "sessions")
    await run(page.wait_title, "(2) WA Gateway")  # two chats with unread messages
    await run(page.wait_service_worker)

    # the dashboard goes to the background: another tab is in front
    await run(page.new_tab, front + "/manifest.webmanifest")
    own = await _message(
        pg,
        session,
        carol,
        20,
        "typed on the phone",
        at=datetime.now(UTC),
        direction="out",
        status="sent",
    )
    theirs = await _message(pg, session, carol, 21, "Is my order ready?", at=datetime.now(UTC))
    for row in (own, theirs):
        data = events.MessageData(
            chat_id=carol.id, message=message_payload(row, wa_chat_id=carol.wa_chat_id)
        )
        await publish(
            pg,
            redis,
            events.MessageEvent(session_id=session.id, company_id=t.company.id, data=data),
        )
    shown = await run(page.wait_notifications, 1)
    assert shown == [
        {
            "title": "Carol",
            "body": "Is my order ready?",
            "tag": f"chat-{carol.id}",
            "url": f"/#/chats/{session.id}/{carol.id}",
        }
    ]

    # a chat now unread too: the count in the title follows
    async with pg.connection() as conn:
        boris = await chats.worker_upsert(
            conn,
            session_id=session.id,
            wa_chat_id="79035556677@c.us",
            name="Борис",
            is_group=False,
            add_unread=1,
        )
    await publish(
        pg,
        redis,
        events.ChatEvent(
            session_id=session.id,
            company_id=t.company.id,
            data=events.ChatData(chat=chat_payload(boris)),
        ),
    )
    await run(page.switch_to_first_tab)
    await run(page.wait_title, "(3) WA Gateway")
    assert await run(page.console_errors) == []


async def test_search_filters_assignment_quick_replies_and_retry(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session, carol, _ = await _inbox(pg, redis, t)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True, manage=True)
    sid = str(session.id)
    page = Dashboard(make_browser(DESKTOP), front + "/")
    await run(page.login, t.manager.user.email, t.manager.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{sid}")
    await run(page.wait_chat)

    # search: chat names, and message text on the server
    await run(page.type_into, "#chat-search", "invoice 1042")
    hits = await run(page.wait_hits, 1)
    assert hits == [{"chat": str(carol.id), "text": "Carol Smith"}]
    await run(page.type_into, "#chat-search", "Бори")
    await run(page.wait_chat_names, ["Борис"])
    await run(page.type_into, "#chat-search", "")
    await run(page.wait_chat_names, ["Борис", "Carol Smith", "Dmitry"])  # newest activity first

    # unread first, then only the manager's own chats (after taking Carol's)
    await run(page.click, "[data-testid=filter-unread]")
    await run(page.wait_chat_names, ["Carol Smith", "Dmitry", "Борис"])
    await run(page.open_chat, str(carol.id))
    await run(page.wait_message, "Invoice 1042 please")
    await run(page.select_value, "#assign", str(t.manager.id))
    await run(page.wait_visible, f'[data-chat-id="{carol.id}"] [data-testid=chat-mine]')
    await run(page.click, "[data-testid=filter-mine]")
    await run(page.wait_chat_names, ["Carol Smith"])

    # a quick reply: "/" then the keyboard
    await run(page.type_into, "#compose", "/hel")
    await run(page.wait_visible, "[data-testid=quick-option][data-shortcut=hello]")
    await run(page.press, "#compose", Keys.TAB)
    assert await run(page.value_of, "#compose") == "Hello! How can I help you?"

    # the failed reply: retry sends the text again (the session runs: it is accepted)
    await run(page.click, "[data-testid=msg-retry]")
    await run(page.wait_count, "[data-testid=message-body]", 6)
    assert await run(page.message_bodies) == [
        "Hello, is the sofa available?", "Yes, it is!", "Can you deliver on Saturday?",
        "Invoice 1042 please", "Sure, Saturday 10-14", "Sure, Saturday 10-14",
    ]  # fmt: skip
    assert await run(page.count, "[data-testid=msg-retry]:not([hidden])") == 0

    # the network goes away: a banner says so, and goes once it is back and live again
    await run(page.set_offline, True)
    await run(page.wait_banner, "offline")
    await run(page.set_offline, False)
    await run(page.wait_banner, "")
    assert await run(page.socket_transport) == "websocket"
    assert await run(page.console_errors) == []


async def test_keyboard_only_log_in_open_a_chat_and_reply(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    t = await make_tenant()
    session, carol, _ = await _inbox(pg, redis, t)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True)
    page = Dashboard(make_browser(DESKTOP), front + "/")
    await run(page.open, "#/login")
    await run(page.wait_visible, "#login-email")
    await run(page.keys, t.manager.user.email, Keys.TAB, t.manager.password, Keys.ENTER)
    await run(page.wait_view, "sessions")
    # Tab to the session's "Chats" link, Enter; Tab to Carol's chat, Enter; type, Enter
    await run(page.tab_to, "[data-testid=open-chats]")
    await run(page.keys, Keys.ENTER)
    await run(page.wait_chat)
    await run(page.tab_to, f'[data-chat-id="{carol.id}"] a')
    await run(page.keys, Keys.ENTER)
    await run(page.wait_message, "Invoice 1042 please")
    assert await run(page.focused_id) == "compose"
    await run(page.keys, "See you on Saturday", Keys.ENTER)
    await run(page.wait_message, "See you on Saturday")
    assert await run(page.message_status, "See you on Saturday") in ("pending", "sent")
    assert await run(page.console_errors) == []


async def test_the_whole_flow_on_a_phone_with_a_real_worker(
    stack: Stack,
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
) -> None:
    """As in the seeds: sign in, add a session, link the phone by QR, a customer writes, read and
    answer, ticks follow; all on a 390 x 844 screen, never wider than it."""
    t = await make_tenant()
    stack.start_worker("w-phone")
    page = Dashboard(make_browser(PHONE), front + "/")
    await run(page.login, t.admin.user.email, t.admin.password)
    await run(page.wait_view, "sessions")
    widths = {"sessions": await run(page.overflow_px)}

    await run(page.create_session, "Shop")
    [sid] = await run(page.wait_session_rows, 1)
    stack.tap.sessions.add(UUID(sid))
    await run(page.wait_qr_image, 90)
    widths["connect-dialog"] = await run(page.overflow_px)
    qr = await client.get(f"/api/whatsapp/sessions/{sid}/qr", headers=t.admin.headers)
    phone, contact = unique_phone(), unique_phone()
    await stack.sim.link((await qr.json())["data"]["qrRaw"], phone, "Shop Desk")
    await run(page.wait_qr_modal_closed)
    await run(page.wait_session_state, sid, "ready")

    await stack.sim.inbound(phone, contact, "Hi! Do you ship to Kazan?", name="Olga")
    await run(page.click, "[data-testid=open-chats]")
    chat_id = await run(page.wait_chat)
    widths["chats"] = await run(page.overflow_px)
    await run(page.open_chat, chat_id)
    await run(page.wait_message, "Hi! Do you ship to Kazan?")
    assert not await run(page.topbar_visible)
    await run(page.type_message, "Yes, in 3 days")
    await run(page.wait_message_status, "Yes, in 3 days", "sent")
    [sent] = [m for m in await stack.sim.sent(phone) if m["text"] == "Yes, in 3 days"]
    await stack.sim.ack(phone, sent["messageId"], "read")
    await run(page.wait_message_status, "Yes, in 3 days", "read")
    widths["conversation"] = await run(page.overflow_px)

    await stack.sim.inbound(phone, contact, "Great, thanks", name="Olga")
    await run(page.wait_message, "Great, thanks")  # live, in the open chat
    await run(page.chat_back)
    await run(page.wait_visible, "[data-testid=chat-list]")
    assert widths == dict.fromkeys(widths, 0)
    assert await run(page.console_errors) == []
