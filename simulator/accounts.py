"""``/_sim/accounts/{phone}/...``: the phone and its contacts act on one linked account."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from simulator import ids, media, views
from simulator.dialogs import DIALOG_KINDS, new_dialog
from simulator.engine import Engine
from simulator.errors import bad_request, not_found
from simulator.keys import ENGINE
from simulator.models import Account, Ack, IdForm
from simulator.parse import json_object, optional_text, required_text
from simulator.passkeys import parse_passkey
from simulator.store import MAX_TEXT

MAX_NAME = 100
MAX_SEED = 10_000
MAX_DIALOG_TEXT = 1_000
MAX_MEDIA_BODY = media.MAX_UPLOAD * 4 // 3 + 64 * 1024  # a file in base64, and the rest


def _engine_account(request: web.Request) -> tuple[Engine, Account]:
    engine = request.app[ENGINE]
    return engine, engine.store.account(request.match_info["phone"])


async def list_accounts(request: web.Request) -> web.Response:
    store = request.app[ENGINE].store
    out = [views.account_json(a, store.devices_of(a)) for a in store.accounts.values()]
    return web.json_response(out)


async def list_chats(request: web.Request) -> web.Response:
    engine, account = _engine_account(request)
    return web.json_response([views.chat_json(c) for c in engine.store.ordered_chats(account)])


async def chat_messages(request: web.Request) -> web.Response:
    engine, account = _engine_account(request)
    chat = engine.store.find_chat(account, request.match_info["chat_id"])
    if chat is None:
        raise not_found("unknown chat", "unknown_chat", "chatId")
    return web.json_response([views.message_json(m) for m in chat.messages])


async def unlink(request: web.Request) -> web.Response:
    """Log out from the phone: every device of the account, or just ``{deviceId}``."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"deviceId"})
    device_id = optional_text(body, "deviceId", max_len=100)
    gone = await engine.unlink(account, device_id)
    return web.json_response({"unlinked": [d.device_id for d in gone]})


async def inbound(request: web.Request) -> web.Response:
    """A contact writes: ``{from, text, name?, group?, via?, idForm?}`` -> ``{messageId, …}``."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"from", "text", "name", "group", "via", "idForm"})
    phone_jid, via = _sender(engine, body)
    text = required_text(body, "text", max_len=MAX_TEXT)
    name = optional_text(body, "name", max_len=MAX_NAME)
    group = _group(body.get("group"), account)
    id_form = _choice(body, "idForm", ("bare", "legacy", "opaque"), "bare")
    person = engine.store.person(account, phone_jid, phone_known=via == "pn")
    via_jid = person.phone_jid if via == "pn" else person.lid
    msg = await engine.inbound(
        account, person, via_jid, text, name=name, group=group, id_form=cast(IdForm, id_form)
    )
    return web.json_response(
        {
            "messageId": msg.serialized,
            "id": msg.msg_id,
            "chatId": msg.chat_id,
            "dataId": msg.page_id(engine.config.page_profile),
        }
    )


async def inbound_media(request: web.Request) -> web.Response:
    """A contact sends a file: ``{from, kind, caption?, fileName?, dataBase64?, mime?,
    duration?, name?, via?, group?, failDownloads?}``; without ``dataBase64`` the kind's fixture
    (``simulator/fixtures``). ``failDownloads``: that many downloads of it fail first."""
    engine, account = _engine_account(request)
    fields = {"from", "kind", "caption", "fileName", "dataBase64", "mime", "duration", "name"}
    body = await json_object(
        request, fields | {"via", "group", "failDownloads"}, max_body=MAX_MEDIA_BODY
    )
    phone_jid, via = _sender(engine, body)
    file = media.from_control(body)
    caption = body.get("caption") or ""
    if not isinstance(caption, str) or len(caption) > MAX_TEXT:
        raise bad_request(f"caption must be a string of at most {MAX_TEXT} characters", "caption")
    name = optional_text(body, "name", max_len=MAX_NAME)
    group = _group(body.get("group"), account)
    person = engine.store.person(account, phone_jid, phone_known=via == "pn")
    via_jid = person.phone_jid if via == "pn" else person.lid
    msg = await engine.inbound(
        account, person, via_jid, caption, name=name, group=group, id_form="bare", media=file
    )
    return web.json_response(
        {
            "messageId": msg.serialized,
            "id": msg.msg_id,
            "chatId": msg.chat_id,
            "dataId": msg.page_id(engine.config.page_profile),
            "media": views.media_json(file),
        }
    )


async def message_media(request: web.Request) -> web.Response:
    """``GET .../messages/{messageId}/media``: the file of a message, as the contact has it."""
    engine, account = _engine_account(request)
    msg = engine.store.message(account, request.match_info["message_id"])
    if msg.media is None:
        raise not_found("this message has no media", "no_media", "messageId")
    return web.Response(body=msg.media.data, content_type=msg.media.mime.split(";")[0])


async def media_failures(request: web.Request) -> web.Response:
    """``{count}``: the next ``count`` downloads of this message's file fail (503)."""
    engine, account = _engine_account(request)
    msg = engine.store.message(account, request.match_info["message_id"])
    body = await json_object(request, {"count"})
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
        raise bad_request("count must be an integer from 0 to 1000", "count")
    if msg.media is None:
        raise not_found("this message has no media", "no_media", "messageId")
    msg.media.failures_left = count
    return web.json_response(views.media_json(msg.media))


def _sender(engine: Engine, body: dict[str, Any]) -> tuple[str, str]:
    """``from`` as a phone (digits, ``@c.us``, ``@s.whatsapp.net``) or a known ``@lid``."""
    raw = body.get("from")
    if isinstance(raw, str) and ids.is_lid(raw.strip()):
        phone_jid = engine.store.owner_of_lid(raw.strip())
        return phone_jid, _choice(body, "via", ("pn", "lid"), "lid")
    return ids.parse_contact(raw, "from"), _choice(body, "via", ("pn", "lid"), "pn")


def _choice(body: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(key, default)
    if value not in allowed:
        raise bad_request(f"{key} must be one of {', '.join(allowed)}", key)
    return str(value)


def _group(value: Any, account: Account) -> tuple[str, str | None] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"id", "name"}:
        raise bad_request("group must be an object {id, name}", "group")
    gid = ids.parse_group_id(value.get("id"))
    name = optional_text(value, "name", max_len=MAX_NAME)
    if name is None and gid not in account.chats and gid not in account.contacts:
        raise bad_request(
            "group.name is required for a group the account has not seen", "group.name"
        )
    return gid, name


async def outbound(request: web.Request) -> web.Response:
    """The user writes on the phone: ``{to, text}`` -> the message (own, on every computer).

    ``to`` = a number (digits, ``+digits``, ``@c.us``), a known contact's ``@lid``, a group id."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"to", "text"})
    text = required_text(body, "text", max_len=MAX_TEXT)
    to = _recipient(body.get("to"))
    chat_id = engine.store.send_target(account, to, set(), field="to", code="unknown_chat")
    msg = await engine.phone_sends(account, chat_id, text)
    return web.json_response(views.message_json(msg))


def _recipient(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if ids.is_lid(text):
        return text
    if "-" in text or text.endswith("@g.us"):
        return ids.parse_group_id(text, "to")
    return ids.parse_contact(value, "to")


async def sent(request: web.Request) -> web.Response:
    engine, account = _engine_account(request)
    store = engine.store
    out = [views.sent_json(m, store.phone_of(m.chat_id)) for m in store.sent(account)]
    return web.json_response(out)


async def contacts(request: web.Request) -> web.Response:
    """Everyone the account has talked to, with both ids: ``[{phoneJid, lid, name, …}]``."""
    _, account = _engine_account(request)
    return web.json_response([views.contact_json(account, p) for p in account.people.values()])


async def dialog(request: web.Request) -> web.Response:
    """A popup on every device of the account: ``{kind, text?, button?}``."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"kind", "text", "button"})
    kind = _choice(body, "kind", tuple(DIALOG_KINDS), "")
    text = optional_text(body, "text", max_len=MAX_DIALOG_TEXT)
    button = optional_text(body, "button", max_len=MAX_NAME)
    shown = new_dialog(kind, text, button)
    tabs = await engine.show_dialog(account, shown)
    return web.json_response({**views.page_dialog(shown), "tabs": tabs})


async def create_account(request: web.Request) -> web.Response:
    """``{phone, displayName?}``: a phone with WhatsApp that no computer is linked to yet (so a
    passkey can be registered before its first link); an existing account is returned as is."""
    engine = request.app[ENGINE]
    body = await json_object(request, {"phone", "displayName"})
    phone = ids.normalize_phone(body.get("phone"), "phone")
    name = optional_text(body, "displayName", max_len=MAX_NAME) or f"+{phone}"
    account = engine.store.accounts.setdefault(phone, Account(phone, name))
    return web.json_response(views.account_json(account, engine.store.devices_of(account)))


async def passkey(request: web.Request) -> web.Response:
    """``{on, credentialId?, publicKey?, confirm?}``: new devices of this account must pass the
    passkey check after the scan; with a credential (base64url id, base64url DER P-256 public
    key) the check can pass; ``confirm``: then a number is confirmed on the phone."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"on", "credentialId", "publicKey", "confirm"})
    if not isinstance(body.get("on"), bool):
        raise bad_request("on must be true or false", "on")
    if not isinstance(body.get("confirm", False), bool):
        raise bad_request("confirm must be true or false", "confirm")
    if "credentialId" in body or "publicKey" in body:
        account.passkey_key = parse_passkey(body.get("credentialId"), body.get("publicKey"))
    account.passkey = body["on"]
    account.passkey_confirm = body.get("confirm", account.passkey_confirm)
    return web.json_response(views.account_json(account, engine.store.devices_of(account)))


async def passkey_confirm(request: web.Request) -> web.Response:
    """``{code}``: the phone taps the number its computer shows -> ``{linked}`` (another number
    ends the attempt)."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"code"})
    code = required_text(body, "code", max_len=10)
    return web.json_response({"linked": engine.confirm_code(account, code.strip())})


async def ack(request: web.Request) -> web.Response:
    """The contact's phone got (``delivered``) or opened (``read``) a message the device sent."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"messageId", "ack"})
    message_id = required_text(body, "messageId", max_len=200)
    if body.get("ack") not in ("delivered", "read"):
        raise bad_request('ack must be "delivered" or "read"', "ack")
    msg = await engine.set_ack(account, message_id.strip(), cast(Ack, body["ack"]))
    return web.json_response(views.sent_json(msg, engine.store.phone_of(msg.chat_id)))


async def conflict(request: web.Request) -> web.Response:
    engine, account = _engine_account(request)
    await engine.conflict(account)
    return web.json_response({"ok": True})


async def network(request: web.Request) -> web.Response:
    """Cut (``{"online": false}``) or restore the network of the account's computers."""
    engine, account = _engine_account(request)
    body = await json_object(request, {"online"})
    if not isinstance(body.get("online"), bool):
        raise bad_request("online must be true or false", "online")
    await engine.network(account, body["online"])
    return web.json_response(views.account_json(account, engine.store.devices_of(account)))


async def seed_chats(request: web.Request) -> web.Response:
    engine, account = _engine_account(request)
    body = await json_object(request, {"count"})
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SEED:
        raise bad_request(f"count must be an integer from 1 to {MAX_SEED}", "count")
    engine.store.seed_chats(account, count)
    for conn in engine.open_tabs(account):
        await engine.resync(conn)
    return web.json_response({"created": count, "chatCount": len(account.chats)})


def setup_account_routes(app: web.Application) -> None:
    base = "/_sim/accounts/{phone}"
    app.router.add_get("/_sim/accounts", list_accounts)
    app.router.add_post("/_sim/accounts", create_account)
    app.router.add_get(f"{base}/chats", list_chats)
    app.router.add_get(f"{base}/chats/{{chat_id}}/messages", chat_messages)
    app.router.add_post(f"{base}/unlink", unlink)
    app.router.add_post(f"{base}/inbound", inbound)
    app.router.add_post(f"{base}/inbound-media", inbound_media)
    app.router.add_get(f"{base}/messages/{{message_id}}/media", message_media)
    app.router.add_post(f"{base}/messages/{{message_id}}/media-failures", media_failures)
    app.router.add_post(f"{base}/outbound", outbound)
    app.router.add_get(f"{base}/sent", sent)
    app.router.add_post(f"{base}/ack", ack)
    app.router.add_post(f"{base}/conflict", conflict)
    app.router.add_post(f"{base}/network", network)
    app.router.add_post(f"{base}/seed-chats", seed_chats)
    app.router.add_get(f"{base}/contacts", contacts)
    app.router.add_post(f"{base}/dialog", dialog)
    app.router.add_post(f"{base}/passkey", passkey)
    app.router.add_post(f"{base}/passkey/confirm", passkey_confirm)
