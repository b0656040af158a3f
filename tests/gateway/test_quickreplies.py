"""Quick replies: ru/en defaults for every company, read by its users, managed by its admins
(each change audited), shortcuts unique in any case, other companies' replies are 404."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from psycopg_pool import AsyncConnectionPool

from shared.db.repos import audit
from tests.gateway.conftest import MakeTenant

Client = TestClient[Any, Any]
URL = "/api/quick-replies"


async def _list(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get(URL, headers=headers)
    assert resp.status == 200, await resp.text()
    replies: list[dict[str, Any]] = (await resp.json())["data"]["quickReplies"]
    return replies


async def test_every_company_starts_with_english_and_russian_defaults(
    client: Client, make_tenant: MakeTenant
) -> None:
    t = await make_tenant()
    replies = await _list(client, t.manager.headers)
    by_lang = {lang: {r["shortcut"] for r in replies if r["lang"] == lang} for lang in ("en", "ru")}
    assert by_lang == {
        "en": {"hello", "wait", "thanks", "bye"},
        "ru": {"привет", "минутку", "спасибо", "пока"},
    }
    assert set(replies[0]) == {"id", "shortcut", "body", "lang", "createdAt", "updatedAt"}
    assert all(r["body"] for r in replies)


async def test_admin_creates_changes_and_deletes_each_audited(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t, other = await make_tenant(), await make_tenant()
    body = {"shortcut": "hours", "body": "We are open 9-18, Mon-Fri.", "lang": "en"}
    created = await client.post(URL, json=body, headers=t.admin.headers)
    assert created.status == 201, await created.text()
    reply = (await created.json())["data"]["quickReply"]
    assert {k: reply[k] for k in body} == body
    url = f"{URL}/{reply['id']}"

    same = await client.post(URL, json={**body, "shortcut": "HOURS"}, headers=t.admin.headers)
    assert same.status == 409 and (await same.json())["error"]["details"][0]["field"] == "shortcut"

    changed = await client.patch(
        url, json={"body": "Open 9-20.", "lang": None}, headers=t.admin.headers
    )
    got = (await changed.json())["data"]["quickReply"]
    assert (got["shortcut"], got["body"], got["lang"]) == ("hours", "Open 9-20.", None)
    taken = await client.patch(url, json={"shortcut": "Hello"}, headers=t.admin.headers)
    assert taken.status == 409
    assert [r for r in await _list(client, t.manager.headers) if r["id"] == reply["id"]] == [got]

    assert (await client.patch(url, json={"body": "x"}, headers=other.admin.headers)).status == 404
    assert (await client.delete(url, headers=other.admin.headers)).status == 404
    assert reply["id"] not in {r["id"] for r in await _list(client, other.admin.headers)}

    deleted = await client.delete(url, headers=t.admin.headers)
    assert deleted.status == 200
    assert (await deleted.json())["data"] == {"deleted": True, "id": reply["id"]}
    assert (await client.delete(url, headers=t.admin.headers)).status == 404
    async with pg.connection() as conn:
        entries = await audit.list_for_company(conn, company_id=t.company.id)
    assert [(e.action, e.target) for e in reversed(entries)] == [
        ("quick_reply.create", reply["id"]),
        ("quick_reply.update", reply["id"]),
        ("quick_reply.delete", reply["id"]),
    ]


async def test_managers_read_but_do_not_manage(client: Client, make_tenant: MakeTenant) -> None:
    t = await make_tenant()
    some = (await _list(client, t.manager.headers))[0]
    body = {"shortcut": "x", "body": "y"}
    assert (await client.post(URL, json=body, headers=t.manager.headers)).status == 403
    url = f"{URL}/{some['id']}"
    assert (await client.patch(url, json={"body": "y"}, headers=t.manager.headers)).status == 403
    assert (await client.delete(url, headers=t.manager.headers)).status == 403


@pytest.mark.parametrize(
    "body,field",
    [
        ({"body": "text"}, "shortcut"),
        ({"shortcut": "a b", "body": "text"}, "shortcut"),
        ({"shortcut": "a/b", "body": "text"}, "shortcut"),
        ({"shortcut": "", "body": "text"}, "shortcut"),
        ({"shortcut": "x" * 33, "body": "text"}, "shortcut"),
        ({"shortcut": "ok"}, "body"),
        ({"shortcut": "ok", "body": "   "}, "body"),
        ({"shortcut": "ok", "body": "x" * 4097}, "body"),
        ({"shortcut": "ok", "body": "text", "lang": "de"}, "lang"),
        ({"shortcut": "ok", "body": "text", "pinned": True}, "pinned"),
        ({"shortcut": 5, "body": "text"}, "shortcut"),
        ({"shortcut": "a\x00b", "body": "text"}, "shortcut"),
        ({"shortcut": "ok", "body": "te\x00xt"}, "body"),
    ],
)
async def test_bad_input_is_400_naming_the_field(
    client: Client, make_tenant: MakeTenant, body: dict[str, Any], field: str
) -> None:
    t = await make_tenant()
    resp = await client.post(URL, json=body, headers=t.admin.headers)
    assert resp.status == 400, await resp.text()
    err = (await resp.json())["error"]
    assert err["details"][0]["field"] == field and field in err["message"]
    assert (await client.patch(f"{URL}/nope", json={}, headers=t.admin.headers)).status == 400
