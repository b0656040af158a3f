"""Table-driven: every route with a path id, called with company A's ids by company B's admin
and manager (and by A's manager without any grant), answers 404 when the role may call it and
403 when it may not, and changes nothing in company A."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool

from gateway.app import all_endpoints
from gateway.auth.principal import Role
from shared import events
from shared.db.repos import (
    api_keys,
    audit,
    media,
    passkeys,
    quick_replies,
    sessions,
    users,
    webhooks,
)
from shared.states import SessionState
from tests.conftest import Account
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.eventlog import log_only
from tests.support.integrations import fan_out_all, make_key, make_webhook
from tests.support.passkeys import SoftPasskey
from tests.support.wa import (
    PASSKEY_CHALLENGE,
    seed_chat,
    seed_messages,
    seed_passkey_request,
    seed_session,
)

Client = TestClient[Any, Any]

# a valid body per body model, so that only tenancy can fail the call
BODIES: dict[str, dict[str, Any]] = {
    "AccessGrant": {"managerId": "{managerId}", "canRead": True, "canWrite": True},
    "ChatPatch": {"archived": True},
    "SendBody": {"message": "hello"},
    "SendToNumberBody": {"to": "79001234567", "message": "hello"},
    # loopback: refused before any connection, were tenancy ever to let the call through
    "SendMediaBody": {"url": "http://127.0.0.1:9/a.jpg", "caption": "x"},
    "SendMediaToNumberBody": {"to": "79001234567", "url": "http://127.0.0.1:9/a.jpg"},
    "PairingCodeBody": {"phone": "+7 900 123-45-67"},
    "SessionCreate": {"name": "x"},
    "QuickReplyPatch": {"body": "x"},
    "WebhookPatch": {"enabled": False},
    "ReplayBody": {"afterEventId": 0},
    "PasskeyAnswerBody": {
        "requestId": "{passkeyRequestId}",
        "credential": SoftPasskey().assertion(PASSKEY_CHALLENGE),
    },
    "PasskeyCancelBody": {"requestId": "{passkeyRequestId}"},
}
OPERATOR_ONLY_PARAMS = {"workerId", "host"}
ADMIN_ONLY_BY_ID = ("/api/managers/{id}", "/api/quick-replies/{id}")


def _fill(template: str, ids: dict[str, str]) -> str:
    out = template
    for name, value in ids.items():
        out = out.replace("{" + name + "}", value)
    return out


async def test_foreign_ids_are_404_on_every_route(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    a, b = await make_tenant(), await make_tenant()
    session = await seed_session(pg, a.company.id, state="qr", qr="2@ref")
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="A's customer")
    message = (await seed_messages(pg, session.id, chat.id, 3))[0]
    async with pg.connection() as conn:  # a stored photo: media routes would find it
        await media.capture(
            conn,
            message_id=message,
            company_id=a.company.id,
            session_id=session.id,
            kind="image",
            mime="image/jpeg",
            sha256="ab" * 32,
        )
    b_session = await seed_session(pg, b.company.id)
    async with pg.connection() as conn:
        [a_reply, *_] = [
            r.id for r in await quick_replies.list_for_company(conn, company_id=a.company.id)
        ]
    hook = await make_webhook(pg, a.company.id, "https://93.184.215.14/a")
    state = events.StateData(state=SessionState.QR, previous=None, reason="seeded")
    await log_only(
        pg, events.StateEvent(session_id=session.id, company_id=a.company.id, data=state)
    )
    await fan_out_all(pg, hook.id)
    key = await make_key(pg, a.company.id, ["read"])
    passkey = await seed_passkey_request(pg, session.id)
    ids = {
        "id": str(session.id),
        "chatId": str(chat.id),
        "messageId": str(message),
        "managerId": str(a.manager.id),
        "deliveryId": "1",
        "passkeyRequestId": str(passkey.id),
    }
    callers: list[tuple[str, Account]] = [
        ("B admin", b.admin),
        ("B manager", b.manager),
        ("A manager without grant", a.manager),
    ]
    checked = 0
    for ep in all_endpoints():
        if ep.roles is None or "{" not in ep.path:
            continue
        if any("{" + p + "}" in ep.path for p in OPERATOR_ONLY_PARAMS):
            continue
        ids_here = dict(ids)
        if ep.path == "/api/managers/{id}":
            ids_here["id"] = str(a.manager.id)
        if ep.path == "/api/quick-replies/{id}":
            ids_here["id"] = str(a_reply)
        if ep.path.startswith("/api/webhooks/"):
            ids_here["id"] = str(hook.id)
        if ep.path.startswith("/api/api-keys/"):
            ids_here["id"] = str(key.row.id)
        path = _fill(ep.path, ids_here)
        body = None
        if ep.body is not None:
            body = {
                k: _fill(v, ids_here) if isinstance(v, str) else v
                for k, v in BODIES[ep.body.__name__].items()
            }
        query = {"before": str(message)} if ep.path.endswith("/messages") else None
        for who, account in callers:
            if who.startswith("A manager") and ep.path in (
                "/api/managers/{id}",
                "/api/quick-replies/{id}",
            ):
                continue  # not a tenancy question: managers may not call it at all (403)
            resp = await client.request(
                ep.method, path, json=body, params=query, headers=account.headers
            )
            role = Role(account.user.role)
            expected = 404 if role in ep.roles else 403
            assert resp.status == expected, f"{who}: {ep.method} {ep.path} -> {resp.status}"
            checked += 1
    assert checked >= 30

    # nothing in company A moved
    async with pg.connection() as conn:
        assert await sessions.get(conn, company_id=a.company.id, session_id=session.id)
        still = await passkeys.worker_get(conn, request_id=passkey.id)
        assert still is not None and (still.status, still.answered_by) == ("pending", None)
        assert await users.get_manager(conn, company_id=a.company.id, manager_id=a.manager.id)
        assert await audit.list_for_company(conn, company_id=a.company.id) == []
        same = await webhooks.get(conn, company_id=a.company.id, webhook_id=hook.id)
        assert same is not None and (same.enabled, same.secret, same.cursor) == (
            True,
            hook.secret,
            1,
        )
        [kept] = await api_keys.list_for_company(conn, company_id=a.company.id)
        assert kept.revoked_at is None
    assert await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id))) == []
    pool = [j.args[0]["session_id"] for j in await arq.queued_jobs(queue_name=NAMES.pool_queue)]
    assert str(session.id) not in pool
    assert str(b_session.id) not in pool
