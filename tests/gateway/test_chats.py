"""Chats: newest-activity-first paging with search (literal, indexed, tenant-scoped), unread,
assignment and unread-first filters, bad paging is 400, one chat, assignees, PATCH (archive,
assign, unassign), read (unread 0 + mark_read job), both announced as chat events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool

from shared import events
from shared.db.repos import audit
from tests.gateway.conftest import MakeTenant
from tests.support.databases import NAMES
from tests.support.events import EventTap
from tests.support.wa import grant, queued, seed_chat, seed_session

Client = TestClient[Any, Any]


async def _seed_chats(pg: AsyncConnectionPool, session_id: Any, n: int) -> list[str]:
    """n chats, chat i active i minutes ago, every third unread; ids newest first."""
    now = datetime.now(UTC)
    ids = []
    for i in range(n):
        chat = await seed_chat(
            pg,
            session_id,
            f"7900000{i:04d}@c.us",
            name=f"Customer {i:02d}" if i % 5 else f"Vip {i:02d}",
            unread=1 if i % 3 == 0 else 0,
            at=now - timedelta(minutes=i),
            preview=f"hello {i}",
        )
        ids.append(str(chat.id))
    return ids


async def test_pages_newest_first_with_filters(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    expected = await _seed_chats(pg, session.id, 23)
    url = f"/api/whatsapp/sessions/{session.id}/chats"
    seen: list[str] = []
    for page in (1, 2, 3):
        resp = await client.get(url, params={"page": page, "limit": 10}, headers=t.admin.headers)
        data = (await resp.json())["data"]
        assert data["pagination"] == {"page": page, "limit": 10, "total": 23, "pages": 3}
        seen += [c["id"] for c in data["chats"]]
    assert seen == expected
    first = (await (await client.get(url, headers=t.admin.headers)).json())["data"]["chats"][0]
    assert set(first) >= {
        "id", "waChatId", "name", "isGroup", "unreadCount", "lastMessageAt",
        "lastMessagePreview", "archived", "assignedManagerId",
    }  # fmt: skip

    unread = await client.get(url, params={"unread": "true"}, headers=t.admin.headers)
    data = (await unread.json())["data"]
    assert [c["id"] for c in data["chats"]] == expected[::3]
    assert data["pagination"]["total"] == 8

    found = await client.get(url, params={"search": "vip"}, headers=t.admin.headers)
    names = [c["name"] for c in (await found.json())["data"]["chats"]]
    assert names == ["Vip 00", "Vip 05", "Vip 10", "Vip 15", "Vip 20"]
    by_number = await client.get(url, params={"search": "79000000007"}, headers=t.admin.headers)
    assert [c["id"] for c in (await by_number.json())["data"]["chats"]] == [expected[7]]
    past = await client.get(url, params={"page": 9}, headers=t.admin.headers)
    assert (await past.json())["data"]["chats"] == []


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"unread": "maybe"}, "unread"),
        ({"search": "x" * 101}, "search"),
        ({"sort": "name"}, "sort"),
    ],
)
async def test_bad_paging_is_400_naming_the_field(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    params: dict[str, str],
    field: str,
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id)
    resp = await client.get(
        f"/api/whatsapp/sessions/{session.id}/chats", params=params, headers=t.admin.headers
    )
    assert resp.status == 400
    err = (await resp.json())["error"]
    assert err["details"][0]["field"] == field and field in err["message"]


async def test_patch_archives_assigns_and_unassigns(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "1@c.us", name="A")
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}"
    mid = str(t.manager.id)

    resp = await client.patch(
        url, json={"archived": True, "assignedManagerId": mid}, headers=t.admin.headers
    )
    got = (await resp.json())["data"]["chat"]
    assert resp.status == 200 and got["archived"] is True and got["assignedManagerId"] == mid
    # an absent field is left alone; null unassigns
    resp = await client.patch(url, json={"archived": False}, headers=t.admin.headers)
    got = (await resp.json())["data"]["chat"]
    assert got["archived"] is False and got["assignedManagerId"] == mid
    resp = await client.patch(url, json={"assignedManagerId": None}, headers=t.admin.headers)
    assert (await resp.json())["data"]["chat"]["assignedManagerId"] is None

    other = await make_tenant()
    for body in (
        {"assignedManagerId": str(t.admin.id)},
        {"assignedManagerId": str(other.manager.id)},
        {"assignedManagerId": "nope"},
        {"archived": "yes"},
        {"pinned": True},
    ):
        bad = await client.patch(url, json=body, headers=t.admin.headers)
        assert bad.status == 400, body
    async with pg.connection() as conn:
        actions = [e.action for e in await audit.list_for_company(conn, company_id=t.company.id)]
    assert actions == ["chat.update"] * 3


async def test_read_zeroes_unread_and_queues_mark_read(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "5@c.us", name="A", unread=4)
    await grant(pg, t.company.id, session.id, t.manager.id, manage=True)
    resp = await client.post(
        f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/read", headers=t.manager.headers
    )
    assert resp.status == 200
    assert (await resp.json())["data"]["chat"]["unreadCount"] == 0
    assert await queued(arq, NAMES.session_queue(str(session.id))) == [
        ("mark_read", {"session_id": str(session.id), "wa_chat_id": "5@c.us"})
    ]


async def test_manage_right_is_needed_to_patch_or_read(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "5@c.us", name="A", unread=4)
    await grant(pg, t.company.id, session.id, t.manager.id, write=True)
    url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}"
    listed = await client.get(
        f"/api/whatsapp/sessions/{session.id}/chats", headers=t.manager.headers
    )
    assert listed.status == 200
    patch = await client.patch(url, json={"archived": True}, headers=t.manager.headers)
    assert patch.status == 403
    assert "canManageChats" in (await patch.json())["error"]["message"]
    assert (await client.post(url + "/read", headers=t.manager.headers)).status == 403


async def test_chat_of_another_session_is_404(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    one = await seed_session(pg, t.company.id, name="one")
    two = await seed_session(pg, t.company.id, name="two")
    chat = await seed_chat(pg, two.id, "5@c.us")
    base = f"/api/whatsapp/sessions/{one.id}/chats/{chat.id}"
    headers = t.admin.headers
    assert (await client.get(base + "/messages", headers=headers)).status == 404
    assert (await client.patch(base, json={"archived": True}, headers=headers)).status == 404
    assert (await client.post(base + "/read", headers=headers)).status == 404
    assert (await client.post(base + "/send", json={"message": "x"}, headers=headers)).status == 404


async def test_filters_assigned_to_me_unassigned_and_unread_first(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    ids = await _seed_chats(pg, session.id, 7)  # unread: 0, 3, 6
    await grant(pg, t.company.id, session.id, t.manager.id, manage=True)
    url = f"/api/whatsapp/sessions/{session.id}/chats"
    for chat_id in (ids[1], ids[3]):
        resp = await client.patch(
            f"{url}/{chat_id}",
            json={"assignedManagerId": str(t.manager.id)},
            headers=t.admin.headers,
        )
        assert resp.status == 200

    async def listed(params: dict[str, str], who: Any = t.manager) -> list[str]:
        resp = await client.get(url, params=params, headers=who.headers)
        assert resp.status == 200, await resp.text()
        return [c["id"] for c in (await resp.json())["data"]["chats"]]

    assert await listed({"assigned": "me"}) == [ids[1], ids[3]]
    assert await listed({"assigned": "none"}) == [ids[i] for i in (0, 2, 4, 5, 6)]
    assert await listed({"assigned": "me"}, t.admin) == []  # admins are never assignees
    assert await listed({"order": "unread"}) == [ids[i] for i in (0, 3, 6, 1, 2, 4, 5)]
    assert await listed({"order": "unread", "assigned": "me"}) == [ids[3], ids[1]]
    assert await listed({"order": "activity"}) == ids
    for bad in ({"assigned": "you"}, {"order": "name"}, {"assigned": ""}):
        resp = await client.get(url, params=bad, headers=t.manager.headers)
        assert resp.status == 400, bad
        assert (await resp.json())["error"]["details"][0]["field"] == next(iter(bad))


async def test_search_matches_names_and_ids_literally_within_the_tenant(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    theirs = await seed_session(pg, other.company.id, state="ready")
    ann = await seed_chat(pg, session.id, "79001112233@c.us", name="Ann_Smith 100%")
    await seed_chat(pg, session.id, "79004445566@c.us", name="Annabel")
    await seed_chat(pg, theirs.id, "79007778899@c.us", name="Ann_Smith 100%")
    url = f"/api/whatsapp/sessions/{session.id}/chats"

    async def names(search: str) -> list[str]:
        resp = await client.get(url, params={"search": search}, headers=t.admin.headers)
        return sorted(c["name"] for c in (await resp.json())["data"]["chats"])

    assert await names("ann") == ["Ann_Smith 100%", "Annabel"]
    assert await names("n_s") == ["Ann_Smith 100%"]  # "_" is a character, not a wildcard
    assert await names("100%") == ["Ann_Smith 100%"]
    assert await names("%") == ["Ann_Smith 100%"]
    assert await names("1112233") == ["Ann_Smith 100%"]  # the WhatsApp id
    assert await names("7778899") == []  # another tenant's chat
    one = await client.get(f"{url}/{ann.id}", headers=t.admin.headers)
    assert (await one.json())["data"]["chat"]["name"] == "Ann_Smith 100%"


async def test_one_chat_by_any_id_and_404_elsewhere(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann", unread=2)
    base = f"/api/whatsapp/sessions/{session.id}/chats"
    for ref in (str(chat.id), "79001234567@c.us", "79001234567@s.whatsapp.net"):
        resp = await client.get(f"{base}/{ref}", headers=t.admin.headers)
        assert resp.status == 200, ref
        got = (await resp.json())["data"]["chat"]
        assert (got["id"], got["unreadCount"]) == (str(chat.id), 2)
    assert (await client.get(f"{base}/{chat.id}", headers=other.admin.headers)).status == 404
    assert (await client.get(f"{base}/{chat.id}", headers=t.manager.headers)).status == 404
    await grant(pg, t.company.id, session.id, t.manager.id)
    assert (await client.get(f"{base}/{chat.id}", headers=t.manager.headers)).status == 200


async def test_assignees_are_the_managers_who_may_read_the_session(
    client: Client, make_tenant: MakeTenant, make_user: Any, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    reader = await make_user("manager", t.company)
    await make_user("manager", t.company)  # no access: not offered
    await grant(pg, t.company.id, session.id, t.manager.id, manage=True)
    await grant(pg, t.company.id, session.id, reader.id)
    url = f"/api/whatsapp/sessions/{session.id}/assignees"
    for who in (t.admin, t.manager, reader):
        resp = await client.get(url, headers=who.headers)
        assert resp.status == 200
        got = (await resp.json())["data"]["assignees"]
        assert sorted(a["id"] for a in got) == sorted([str(t.manager.id), str(reader.id)])
        assert set(got[0]) == {"id", "displayName", "email"}


async def test_read_and_assign_are_announced_to_sockets(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, redis: Any
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "5@c.us", name="A", unread=3)
    tap = EventTap(redis)
    tap.sessions.add(session.id)
    await tap.start()
    try:
        url = f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}"
        assert (await client.post(url + "/read", headers=t.admin.headers)).status == 200
        read = await tap.wait_for(lambda e: e.type == "chat", 10, "chat read")
        assert isinstance(read, events.ChatEvent) and read.data.chat.unread_count == 0
        assert read.company_id == t.company.id
        body = {"assignedManagerId": str(t.manager.id)}
        assert (await client.patch(url, json=body, headers=t.admin.headers)).status == 200
        assigned = await tap.wait_for(
            lambda e: (
                isinstance(e, events.ChatEvent) and e.data.chat.assigned_manager_id is not None
            ),
            10,
            "chat assigned",
        )
        assert isinstance(assigned, events.ChatEvent)
        assert assigned.data.chat.assigned_manager_id == t.manager.id
    finally:
        await tap.stop()
