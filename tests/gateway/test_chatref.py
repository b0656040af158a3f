"""``{chatId}`` is our UUID or any WhatsApp id of the chat (first id, phone id, lid; groups), on
every chat route, URL-encoded or not; other sessions and companies 404; anything else 400."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from yarl import URL

from gateway.chatref import parse_chat_ref
from gateway.errors import ValidationFailed
from shared.db.repos import audit
from shared.db.types import Chat
from shared.jids import parse_chat_jid
from tests.gateway.as_worker import set_chat_ids
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.wa import queued, seed_chat, seed_messages, seed_session

Client = TestClient[Any, Any]

PHONE = "79035556677"
LID = "123456789012345@lid"
BAD_CHAT_IDS = [
    "abc",
    PHONE,
    f"+{PHONE}@c.us",
    f"{PHONE}@broadcast",
    "x@g.us",
    f"{PHONE}@C.US",
    f"{PHONE}@c.us ",
    "status@broadcast",
    "1" * 25 + "@c.us",
]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (f"{PHONE}@c.us", f"{PHONE}@c.us"),
        (f"{PHONE}@s.whatsapp.net", f"{PHONE}@c.us"),
        (LID, LID),
        ("120363041234567890@g.us", "120363041234567890@g.us"),
        (f"{PHONE}-1600000000@g.us", f"{PHONE}-1600000000@g.us"),
        (f"{PHONE}@c.us\n", None),
        (f"{PHONE}@lid.us", None),
        ("٣٤٥@c.us", None),  # other scripts' digits are not WhatsApp's
        *((bad, None) for bad in BAD_CHAT_IDS),
    ],
)
def test_normalise(raw: str, normalised: str | None) -> None:
    assert parse_chat_jid(raw) == normalised


def test_parse_names_the_field() -> None:
    uid = "0b6c1b9e-6a37-4a52-9a1e-2b1a3f4d5c6e"
    assert parse_chat_ref(uid) == UUID(uid)
    assert parse_chat_ref(f"{PHONE}@s.whatsapp.net") == f"{PHONE}@c.us"
    with pytest.raises(ValidationFailed) as err:
        parse_chat_ref("nope")
    assert err.value.details == [{"field": "chatId", "message": err.value.details[0]["message"]}]
    assert err.value.message.startswith("chatId: must be a chat UUID or a WhatsApp chat id")


async def _people(pg: AsyncConnectionPool, t: Tenant) -> tuple[Any, Chat, Chat, Chat]:
    """A session with one person first seen by phone (lid known later), one first seen by lid
    (phone known later), and a group."""
    session = await seed_session(pg, t.company.id, state="ready")
    ann = await seed_chat(pg, session.id, f"{PHONE}@c.us", name="Ann", unread=2)
    await set_chat_ids(pg, ann, phone_jid=f"{PHONE}@c.us", lid=LID)
    bob = await seed_chat(pg, session.id, "222222222222222@lid", name="Bob")
    await set_chat_ids(pg, bob, phone_jid="79030000002@c.us", lid="222222222222222@lid")
    group = await seed_chat(pg, session.id, "120363041234567890@g.us", name="Team")
    await seed_messages(pg, session.id, ann.id, 3)
    await seed_messages(pg, session.id, bob.id, 2)
    await seed_messages(pg, session.id, group.id, 1)
    return session, ann, bob, group


async def _message_ids(client: Client, url: URL | str, headers: dict[str, str]) -> list[str]:
    resp = await client.get(url, headers=headers)
    assert resp.status == 200, (url, await resp.text())
    return [m["id"] for m in (await resp.json())["data"]["messages"]]


async def test_every_id_of_a_chat_reads_the_same_messages(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, ann, bob, group = await _people(pg, t)
    base = f"/api/whatsapp/sessions/{session.id}/chats"
    h = t.admin.headers
    for chat, names in (
        (ann, [f"{PHONE}@c.us", f"{PHONE}@s.whatsapp.net", LID]),
        (bob, ["222222222222222@lid", "79030000002@c.us", "79030000002@s.whatsapp.net"]),
        (group, ["120363041234567890@g.us"]),
    ):
        expected = await _message_ids(client, f"{base}/{chat.id}/messages", h)
        assert expected
        for name in names:
            assert await _message_ids(client, f"{base}/{name}/messages", h) == expected, name
            # URL-encoded as a client library would send it: %40 for "@"
            encoded = URL(f"{base}/{name.replace('@', '%40')}/messages", encoded=True)
            assert "%40" in encoded.raw_path
            assert await _message_ids(client, encoded, h) == expected, encoded
        first = (await (await client.get(f"{base}/{names[0]}/messages", headers=h)).json())["data"]
        assert {m["waChatId"] for m in first["messages"]} == {chat.wa_chat_id}

    chats = {
        c["id"]: c for c in (await (await client.get(base, headers=h)).json())["data"]["chats"]
    }
    assert (chats[str(ann.id)]["phoneJid"], chats[str(ann.id)]["lid"]) == (f"{PHONE}@c.us", LID)
    assert chats[str(bob.id)]["waChatId"] == "222222222222222@lid"
    assert chats[str(bob.id)]["phoneJid"] == "79030000002@c.us"
    assert (chats[str(group.id)]["phoneJid"], chats[str(group.id)]["lid"]) == (None, None)
    found = await client.get(base, params={"search": "123456789012345"}, headers=h)
    assert [c["id"] for c in (await found.json())["data"]["chats"]] == [str(ann.id)]


async def test_send_patch_and_read_by_whatsapp_id(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, ann, bob, _ = await _people(pg, t)
    base = f"/api/whatsapp/sessions/{session.id}/chats"
    h = t.admin.headers

    sent = await client.post(f"{base}/{LID}/send", json={"message": "hi Ann"}, headers=h)
    assert sent.status == 202, await sent.text()
    data = (await sent.json())["data"]
    assert data["chatId"] == str(ann.id) and data["message"]["waChatId"] == f"{PHONE}@c.us"
    [(name, args)] = await queued(arq, NAMES.session_queue(str(session.id)))
    assert (name, args["wa_chat_id"], args["to_phone"]) == ("send_text", f"{PHONE}@c.us", None)

    patched = await client.patch(
        f"{base}/79030000002@s.whatsapp.net", json={"archived": True}, headers=h
    )
    assert patched.status == 200
    got = (await patched.json())["data"]["chat"]
    assert (got["id"], got["archived"], got["lid"]) == (str(bob.id), True, "222222222222222@lid")

    read = await client.post(f"{base}/{PHONE}%40c.us/read", headers=h)
    assert read.status == 200 and (await read.json())["data"]["chat"]["unreadCount"] == 0
    assert (await queued(arq, NAMES.session_queue(str(session.id))))[-1] == (
        "mark_read",
        {"session_id": str(session.id), "wa_chat_id": f"{PHONE}@c.us"},
    )
    async with pg.connection() as conn:
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    assert [(e.action, e.target) for e in entries] == [
        ("chat.read", str(ann.id)),  # audited under our id, whichever id the caller used
        ("chat.update", str(bob.id)),
    ]


async def test_sending_to_a_number_reuses_the_chat_known_by_its_lid(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, _, bob, _ = await _people(pg, t)
    resp = await client.post(
        f"/api/whatsapp/sessions/{session.id}/messages",
        json={"to": "+7 903 000-00-02", "message": "hello Bob"},
        headers=t.admin.headers,
    )
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["data"]["chatId"] == str(bob.id)
    fresh = await client.post(
        f"/api/whatsapp/sessions/{session.id}/messages",
        json={"to": "79030000003", "message": "hello new"},
        headers=t.admin.headers,
    )
    new_chat = (await fresh.json())["data"]["chatId"]
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT id, wa_chat_id, phone_jid, lid FROM wa_chats WHERE session_id = %(s)s",
            {"s": session.id},
        )
        rows = {str(r["id"]): r for r in await cur.fetchall()}
    assert len(rows) == 4  # Ann, Bob, the group, and the one new person
    assert (rows[new_chat]["wa_chat_id"], rows[new_chat]["phone_jid"]) == (
        "79030000003@c.us",
        "79030000003@c.us",
    )


@pytest.mark.parametrize("bad", BAD_CHAT_IDS)
async def test_a_chat_id_that_is_neither_is_400_on_every_chat_route(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, bad: str
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    base = f"/api/whatsapp/sessions/{session.id}/chats/{bad.replace(' ', '%20')}"
    for method, suffix, body in (
        ("GET", "/messages", None),
        ("POST", "/send", {"message": "x"}),
        ("PATCH", "", {"archived": True}),
        ("POST", "/read", None),
    ):
        resp = await client.request(
            method, URL(base + suffix, encoded=True), json=body, headers=t.admin.headers
        )
        assert resp.status == 400, (method, suffix, bad, resp.status)
        err = (await resp.json())["error"]
        assert err["details"][0]["field"] == "chatId" and err["message"].startswith("chatId:")


async def test_whatsapp_ids_never_reach_another_session_or_company(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    a, b = await make_tenant(), await make_tenant()
    session, _, _, _ = await _people(pg, a)
    other_session = await seed_session(pg, a.company.id, name="other", state="ready")
    b_session = await seed_session(pg, b.company.id, state="ready")
    for caller, sid in (
        (b.admin, session.id),  # A's session, by B: the session is not B's
        (b.admin, b_session.id),  # B's own session has no such chat
        (a.admin, other_session.id),  # the chat belongs to another session of A
    ):
        base = f"/api/whatsapp/sessions/{sid}/chats"
        for chat in (f"{PHONE}@c.us", LID, "79030000002@s.whatsapp.net"):
            for method, suffix, body in (
                ("GET", "/messages", None),
                ("POST", "/send", {"message": "x"}),
                ("PATCH", "", {"archived": True}),
                ("POST", "/read", None),
            ):
                resp = await client.request(
                    method, f"{base}/{chat}{suffix}", json=body, headers=caller.headers
                )
                assert resp.status == 404, (caller.user.email, sid, chat, method, suffix)
    for sid in (session.id, other_session.id, b_session.id):
        assert await queued(arq, NAMES.session_queue(str(sid))) == []
