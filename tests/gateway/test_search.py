"""Message search: text anywhere in a message (literal, any case), newest first, paged, with the
chat's name; tenant- and right-checked; bad input is 400 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from tests.gateway.conftest import MakeTenant
from tests.support.wa import grant, seed_chat, seed_messages, seed_session

Client = TestClient[Any, Any]


async def test_finds_messages_newest_first_with_their_chat(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    theirs = await seed_session(pg, other.company.id, state="ready")
    ann = await seed_chat(pg, session.id, "79001112233@c.us", name="Ann")
    bob = await seed_chat(pg, session.id, "79004445566@c.us", name="Bob")
    ann_ids = await seed_messages(pg, session.id, ann.id, 12, ties=False)  # "message 1".."12"
    await seed_messages(pg, session.id, bob.id, 3, ties=False)
    elsewhere = await seed_chat(pg, theirs.id, "79007778899@c.us", name="Eve")
    await seed_messages(pg, theirs.id, elsewhere.id, 12, ties=False)
    url = f"/api/whatsapp/sessions/{session.id}/messages"

    resp = await client.get(
        url, params={"search": "MESSAGE 1", "limit": 2}, headers=t.admin.headers
    )
    assert resp.status == 200, await resp.text()
    data = (await resp.json())["data"]
    # "message 1", "message 10".."12" of Ann: 4 hits, Bob has "message 1" too: 5
    assert data["pagination"] == {"page": 1, "limit": 2, "total": 5, "pages": 3}
    first = data["hits"][0]
    assert first["chatName"] == "Ann" and first["message"]["id"] == str(ann_ids[0])
    assert first["message"]["body"] == "message 12" and first["message"]["chatId"] == str(ann.id)
    everything = await client.get(
        url, params={"search": "message 1", "limit": 50}, headers=t.admin.headers
    )
    hits = (await everything.json())["data"]["hits"]
    assert sorted(h["message"]["body"] for h in hits if h["chatName"] == "Ann") == [
        "message 1", "message 10", "message 11", "message 12",
    ]  # fmt: skip
    assert {h["chatName"] for h in hits} == {"Ann", "Bob"}  # never the other company's Eve

    none = await client.get(url, params={"search": "100%"}, headers=t.admin.headers)
    assert (await none.json())["data"]["hits"] == []  # % is literal


async def test_rights_and_tenancy(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "1@c.us", name="Ann")
    await seed_messages(pg, session.id, chat.id, 2)
    url = f"/api/whatsapp/sessions/{session.id}/messages"
    params = {"search": "message"}
    assert (await client.get(url, params=params, headers=t.manager.headers)).status == 404
    assert (await client.get(url, params=params, headers=other.admin.headers)).status == 404
    await grant(pg, t.company.id, session.id, t.manager.id)
    resp = await client.get(url, params=params, headers=t.manager.headers)
    assert resp.status == 200 and len((await resp.json())["data"]["hits"]) == 2


@pytest.mark.parametrize(
    "params,field",
    [
        ({}, "search"),
        ({"search": "a"}, "search"),
        ({"search": "  a "}, "search"),
        ({"search": "x" * 101}, "search"),
        ({"search": "ab\x00c"}, "search"),
        ({"search": "abc", "limit": "0"}, "limit"),
        ({"search": "abc", "page": "x"}, "page"),
        ({"search": "abc", "chat": "1"}, "chat"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    params: dict[str, str],
    field: str,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id)
    resp = await client.get(
        f"/api/whatsapp/sessions/{session.id}/messages", params=params, headers=t.admin.headers
    )
    assert resp.status == 400
    err = (await resp.json())["error"]
    assert err["details"][0]["field"] == field and field in err["message"]
