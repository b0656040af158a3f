"""A seeded tenant (admin, manager with every right, a session with a QR and a pending passkey
request, a chat with messages, a webhook with a delivery, an API key), an operator and a live
worker heartbeat, and one well-formed request for every declared endpoint: what tests walk when
they must touch every route."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel
from redis.asyncio import Redis

from gateway.app import all_endpoints
from gateway.routing import Endpoint
from shared import events
from shared.db.repos import deliveries, media, quick_replies
from shared.states import SessionState
from tests.conftest import Account, MakeCompany, MakeUser
from tests.support.databases import NAMES
from tests.support.eventlog import log_only
from tests.support.integrations import fan_out_all, make_key, make_webhook
from tests.support.passkeys import SoftPasskey
from tests.support.wa import (
    PASSKEY_CHALLENGE,
    QR_REF,
    grant,
    seed_chat,
    seed_messages,
    seed_passkey_request,
    seed_session,
)
from worker.heartbeat import WorkerStatus, beat

WORKER_ID = "w-world"
WORKER_HOST = "host-world"
PUBLIC_URL = "https://93.184.215.14/hook"  # a public address: no DNS, and the SSRF rule allows it
# what send-media is asked to download: loopback, so the gateway refuses it (400 naming url)
# before any connection; tests never make the gateway fetch from outside this machine
MEDIA_URL = "http://127.0.0.1:9/photo.jpg"


@dataclass(frozen=True)
class World:
    admin: Account
    manager: Account
    operator: Account
    ids: dict[str, str]  # path parameter -> a seeded id

    def token_for(self, ep: Endpoint) -> str | None:
        if ep.roles is None:
            return None
        by_role = {"admin": self.admin, "manager": self.manager, "operator": self.operator}
        role = "admin" if any(r.value == "admin" for r in ep.roles) else next(iter(ep.roles))
        return by_role[str(role)].token


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


async def seed_world(
    pg: AsyncConnectionPool, redis: Redis, make_company: MakeCompany, make_user: MakeUser
) -> World:
    company = await make_company()
    admin = await make_user("admin", company)
    manager = await make_user("manager", company)
    operator = await make_user("operator")
    session = await seed_session(pg, company.id, state="qr", qr=QR_REF)
    passkey = await seed_passkey_request(pg, session.id)  # its page asks for a passkey
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann", unread=2)
    newest, *_ = await seed_messages(pg, session.id, chat.id, 5)
    async with pg.connection() as conn:  # a photo WhatsApp has and we have not downloaded yet
        await media.capture(
            conn,
            message_id=newest,
            company_id=company.id,
            session_id=session.id,
            kind="image",
            mime="image/jpeg",
        )
    await grant(pg, company.id, session.id, manager.id, write=True, manage=True)
    await beat(redis, NAMES, WorkerStatus(worker_id=WORKER_ID, host=WORKER_HOST))
    async with pg.connection() as conn:  # every company starts with the default quick replies
        reply = (await quick_replies.list_for_company(conn, company_id=company.id))[0]
    hook = await make_webhook(pg, company.id, PUBLIC_URL)
    state = events.StateData(state=SessionState.QR, previous=None, reason="seeded")
    await log_only(pg, events.StateEvent(session_id=session.id, company_id=company.id, data=state))
    await fan_out_all(pg, hook.id)
    async with pg.connection() as conn:
        [delivery], _ = await deliveries.page(
            conn,
            company_id=company.id,
            webhook_id=hook.id,
            status=None,
            event_id=None,
            session_id=None,
            limit=1,
            offset=0,
        )
    key = await make_key(pg, company.id, ["read"], name="world")
    ids = {
        "id": str(session.id),
        "chatId": str(chat.id),
        "messageId": str(newest),
        "managerId": str(manager.id),
        "workerId": WORKER_ID,
        "host": WORKER_HOST,
        "quickReplyId": str(reply.id),
        "webhookId": str(hook.id),
        "deliveryId": str(delivery.id),
        "apiKeyId": str(key.row.id),
        "passkeyRequestId": str(passkey.id),
    }
    return World(admin, manager, operator, ids)


def _body(model: type[BaseModel] | None, world: World) -> dict[str, Any] | None:
    """A valid body for the model: each field by its wire name (alias) and what it means."""
    if model is None:
        return None
    examples: dict[str, Any] = {
        "email": f"new-{secrets.token_hex(3)}@example.test",
        "password": "long-enough-1",
        "displayName": "New",
        "name": "Sales",
        "managerId": world.ids["managerId"],
        "canRead": True,
        "archived": True,
        "message": "hello",
        "to": "+7 900 123-45-67",
        "phone": "79001234567",
        "shortcut": f"s{secrets.token_hex(3)}",
        "body": "Thanks, we are on it.",
        "url": PUBLIC_URL,
        "scopes": ["read"],
        "afterEventId": 0,
        "requestId": world.ids["passkeyRequestId"],
        "credential": SoftPasskey().assertion(PASSKEY_CHALLENGE),
    }
    if model.__name__.startswith("SendMedia"):
        examples["url"] = MEDIA_URL
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        wire = info.alias or name
        if wire in examples:
            body[wire] = examples[wire]
        elif info.is_required():
            raise AssertionError(f"no example for required body field {model.__name__}.{wire}")
    return body


def call_for(ep: Endpoint, world: World) -> Call:
    path = ep.path
    if path.startswith("/api/managers/"):  # there {id} is a manager
        path = path.replace("{id}", world.ids["managerId"])
    if path.startswith("/api/quick-replies/"):  # and there a quick reply
        path = path.replace("{id}", world.ids["quickReplyId"])
    if path.startswith("/api/webhooks/"):  # a webhook
        path = path.replace("{id}", world.ids["webhookId"])
    if path.startswith("/api/api-keys/"):  # an API key
        path = path.replace("{id}", world.ids["apiKeyId"])
    for param, value in world.ids.items():
        path = path.replace("{" + param + "}", value)
    body = _body(ep.body, world)
    if ep.path == "/api/auth/login":
        body = {"email": world.admin.user.email, "password": world.admin.password}
    token = world.token_for(ep)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Call(ep.method, path, body, headers)


def every_call(world: World) -> list[Call]:
    return [call_for(ep, world) for ep in all_endpoints()]
