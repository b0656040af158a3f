"""GET .../media: streaming to readers of the chat only, ranges, conditional requests, states;
signed links (valid, expired, tampered); retry; media on message lists and search hits."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from arq.connections import ArqRedis
from psycopg_pool import AsyncConnectionPool

from gateway import medialinks
from gateway.keys import MEDIA, SETTINGS
from shared.db.types import Chat, WaSession
from shared.media.store import MediaStore
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.integrations import make_key
from tests.support.media import jpeg, seed_media
from tests.support.wa import grant, seed_chat, seed_messages, seed_session

Client = TestClient[Any, Any]


async def _photo(
    client: Client, pg: AsyncConnectionPool, t: Tenant, data: bytes, **kw: Any
) -> tuple[WaSession, Chat, UUID, str]:
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    [message, *_] = await seed_messages(pg, session.id, chat.id, 2)
    store: MediaStore = client.app[MEDIA]
    await seed_media(pg, store, t.company.id, session.id, message, data, **kw)
    return session, chat, message, f"/api/whatsapp/sessions/{session.id}/messages/{message}/media"


async def test_readers_of_the_chat_get_the_file_and_nobody_else(
    client: Client, make_tenant: MakeTenant, make_user: Any, pg: AsyncConnectionPool
) -> None:
    a, b = await make_tenant(), await make_tenant()
    data = jpeg()
    session, _, _, url = await _photo(client, pg, a, data, file_name="café.jpg")
    resp = await client.get(url, headers=a.admin.headers)
    assert resp.status == 200 and await resp.read() == data
    assert resp.headers["Content-Type"] == "image/jpeg"
    assert resp.headers["Content-Length"] == str(len(data))
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.headers["ETag"].strip('"') == hashlib.sha256(data).hexdigest()
    assert resp.headers["Cache-Control"].startswith("private")
    assert resp.headers["Content-Disposition"] == (
        "inline; filename=\"caf?.jpg\"; filename*=UTF-8''caf%C3%A9.jpg"
    )
    # a manager with canRead reads it; without a grant, or with canRead off: 404 (as messages)
    await grant(pg, a.company.id, session.id, a.manager.id, read=True)
    assert (await client.get(url, headers=a.manager.headers)).status == 200
    other = await make_user("manager", a.company)
    await grant(pg, a.company.id, session.id, other.id, read=False, write=True)
    for who in (other, await make_user("manager", a.company), b.admin, b.manager):
        resp = await client.get(url, headers=who.headers)
        assert resp.status == 404, who.user.email
        assert (await resp.json())["error"]["code"] == "not_found"
    assert (await client.get(url)).status == 401
    # API keys: the read scope reads; a key limited to other sessions gets 404
    assert (
        await client.get(url, headers=(await make_key(pg, a.company.id, ["read"])).headers)
    ).status == 200
    send_only = await make_key(pg, a.company.id, ["send"])
    assert (await client.get(url, headers=send_only.headers)).status == 403
    elsewhere = await seed_session(pg, a.company.id, name="other")
    limited = await make_key(pg, a.company.id, ["read"], sessions=[elsewhere.id])
    assert (await client.get(url, headers=limited.headers)).status == 404


async def test_byte_ranges_and_conditional_requests(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    data = os.urandom(300_000)
    _, _, _, url = await _photo(
        client, pg, t, data, kind="document", mime="application/pdf", file_name="r.pdf"
    )
    h = t.admin.headers

    async def get(range_: str) -> Any:
        return await client.get(url, headers={**h, "Range": range_})

    resp = await get("bytes=0-9")
    assert resp.status == 206 and await resp.read() == data[:10]
    assert resp.headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    assert resp.headers["Content-Length"] == "10"
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="r.pdf"')
    resp = await get("bytes=299990-")
    assert resp.status == 206 and await resp.read() == data[299990:]
    resp = await get("bytes=-7")
    assert resp.status == 206 and await resp.read() == data[-7:]
    resp = await get("bytes=100-9999999")  # past the end: up to the end
    assert resp.status == 206 and await resp.read() == data[100:]
    for bad in (f"bytes={len(data)}-", "bytes=9-3", "bytes=-0", "bytes=x-1"):
        resp = await get(bad)
        assert resp.status == 416, bad
        assert resp.headers["Content-Range"] == f"bytes */{len(data)}"
        assert (await resp.json())["error"]["code"] == "range_not_satisfiable"
    # several ranges, or another unit: the whole file
    for whole in ("bytes=0-1,5-6", "items=0-1"):
        resp = await get(whole)
        assert resp.status == 200 and await resp.read() == data
    etag = resp.headers["ETag"]
    assert (await client.get(url, headers={**h, "If-None-Match": etag})).status == 304
    resp = await client.get(url, headers={**h, "Range": "bytes=0-1", "If-Range": '"old"'})
    assert resp.status == 200 and len(await resp.read()) == len(data)


async def test_media_not_stored_is_409_expired_410(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    for status, code, error in (
        ("pending", 409, "media_unavailable"),
        ("failed", 409, "media_unavailable"),
        ("expired", 410, "gone"),
    ):
        _, _, _, url = await _photo(client, pg, t, jpeg(), status=status)
        resp = await client.get(url, headers=t.admin.headers)
        assert resp.status == code, status
        assert (await resp.json())["error"]["code"] == error
    session = await seed_session(pg, t.company.id, name="x")
    chat = await seed_chat(pg, session.id, "1234567@c.us")
    [text_only] = await seed_messages(pg, session.id, chat.id, 1)
    url = f"/api/whatsapp/sessions/{session.id}/messages/{text_only}/media"
    assert (await client.get(url, headers=t.admin.headers)).status == 404


async def test_signed_links_valid_expired_tampered(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    data = jpeg((64, 64), "blue")
    session, _, message, url = await _photo(client, pg, t, data)
    before = time.time()
    resp = await client.post(url + "/link", headers=t.admin.headers)
    assert resp.status == 200
    link = (await resp.json())["data"]
    assert link["url"].startswith(url + "?exp=")
    resp = await client.get(link["url"])  # no token
    assert resp.status == 200 and await resp.read() == data
    # tampered: another message's id, a changed signature, a later expiry
    exp, sig = link["url"].split("?exp=")[1].split("&sig=")
    assert int(exp) - before <= 300 + 1
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    for bad in (
        f"{url}?exp={exp}&sig={flipped}",
        f"{url}?exp={int(exp) + 60}&sig={sig}",
        f"{url}?exp=soon&sig={sig}",
        f"/api/whatsapp/sessions/{session.id}/messages/{session.id}/media?exp={exp}&sig={sig}",
    ):
        resp = await client.get(bad)
        assert resp.status == 401, bad
    # expired: a link signed in the past
    old, _ = medialinks.signed_url(client.app[SETTINGS], session.id, message, now=before - 3600)
    resp = await client.get(old)
    assert resp.status == 401 and "expired" in (await resp.json())["error"]["message"]
    # a manager who cannot read the session gets no link
    assert (await client.post(url + "/link", headers=t.manager.headers)).status == 404


async def test_retry_queues_a_download_unless_stored(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, _, message, url = await _photo(client, pg, t, jpeg(), status="failed")
    resp = await client.post(url + "/retry", headers=t.admin.headers)
    assert resp.status == 202
    assert (await resp.json())["data"]["status"] == "unavailable"
    again = await client.post(url + "/retry", headers=t.admin.headers)
    assert again.status == 202
    jobs = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))
    assert [(j.function, j.job_id, j.args[0]) for j in jobs] == [
        (
            "retry_media",
            NAMES.media_retry_job_id(str(message)),
            {"session_id": str(session.id), "message_id": str(message)},
        )
    ]
    _, _, _, stored = await _photo(client, pg, t, jpeg())
    resp = await client.post(stored + "/retry", headers=t.admin.headers)
    assert resp.status == 409


async def test_message_lists_and_search_hits_carry_the_media(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    session, chat, message, url = await _photo(client, pg, t, jpeg((20, 10)))
    page = await client.get(
        f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/messages", headers=t.admin.headers
    )
    rows = {m["id"]: m for m in (await page.json())["data"]["messages"]}
    assert rows[str(message)]["media"] == {
        "kind": "image",
        "mime": "image/jpeg",
        "size": len(jpeg((20, 10))),
        "fileName": None,
        "durationS": None,
        "width": None,
        "height": None,
        "thumbnail": None,
        "status": "ready",
        "url": url,
    }
    assert [m["media"] for m in rows.values() if m["id"] != str(message)] == [None]
    hits = await client.get(
        f"/api/whatsapp/sessions/{session.id}/messages",
        params={"search": "message"},
        headers=t.admin.headers,
    )
    found = {h["message"]["id"]: h["message"] for h in (await hits.json())["data"]["hits"]}
    assert found[str(message)]["media"]["url"] == url
