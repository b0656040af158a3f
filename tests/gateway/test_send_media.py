"""POST .../send-media: uploads and URLs, checked up front (400 naming the field, 413), stored
once per company, queued as send_media, idempotent on clientMessageId; URLs under the webhook
SSRF rules."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from arq.connections import ArqRedis
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from gateway.app import create_app
from shared.db.types import Chat, WaSession
from shared.s3 import S3Bucket, S3Config
from shared.settings import Settings
from tests.gateway.conftest import MakeTenant, Tenant
from tests.support.databases import NAMES
from tests.support.gateways import GatewayTestServer, wait_until_listening
from tests.support.integrations import make_key
from tests.support.media import jpeg
from tests.support.procs import free_port
from tests.support.wa import grant, seed_chat, seed_session

Client = TestClient[Any, Any]


async def _chat(pg: AsyncConnectionPool, t: Tenant) -> tuple[WaSession, Chat, str]:
    session = await seed_session(pg, t.company.id, state="ready")
    chat = await seed_chat(pg, session.id, "79001234567@c.us", name="Ann")
    return session, chat, f"/api/whatsapp/sessions/{session.id}/chats/{chat.id}/send-media"


def _form(
    data: bytes | None,
    *,
    mime: str = "image/jpeg",
    name: str = "photo.jpg",
    **fields: str,
) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True, quote_fields=False)
    for key, value in fields.items():
        form.add_field(key, value)
    if data is not None:
        form.add_field("file", data, filename=name, content_type=mime)
    return form


async def _count(pg: AsyncConnectionPool, where: str, *args: object) -> int:
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(f"SELECT count(*) AS n FROM {where}", args)
        row = await cur.fetchone()
    assert row is not None
    return int(row["n"])


def _files(root: Path) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file()]


async def _error(resp: aiohttp.ClientResponse) -> tuple[int, str | None]:
    body = await resp.json()
    details = body["error"]["details"]
    field = details[0]["field"] if isinstance(details, list) and details else None
    return resp.status, field


async def test_upload_is_stored_queued_and_idempotent(
    client: Client,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    arq: ArqRedis,
    settings: Settings,
) -> None:
    t = await make_tenant()
    session, chat, url = await _chat(pg, t)
    photo = jpeg((120, 80))
    sha = hashlib.sha256(photo).hexdigest()
    form = {"caption": "Our shop", "clientMessageId": "ui-1"}
    resp = await client.post(url, data=_form(photo, **form), headers=t.admin.headers)
    assert resp.status == 202, await resp.text()
    assert resp.headers["X-Idempotent-Replay"] == "false"
    data = (await resp.json())["data"]
    message = data["message"]
    assert (data["status"], message["type"], message["body"]) == ("pending", "image", "Our shop")
    media = message["media"]
    assert media["status"] == "ready" and media["fileName"] == "photo.jpg"
    assert (media["kind"], media["mime"], media["size"]) == ("image", "image/jpeg", len(photo))
    assert (media["width"], media["height"]) == (120, 80)
    assert media["thumbnail"].startswith("data:image/jpeg;base64,")
    jobs = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))
    assert [(j.function, j.job_id) for j in jobs] == [
        ("send_media", NAMES.send_job_id(data["messageId"]))
    ]
    assert jobs[0].args[0] == {
        "session_id": str(session.id),
        "message_id": data["messageId"],
        "client_msg_id": "ui-1",
        "kind": "image",
        "mime": "image/jpeg",
        "sha256": sha,
        "size": len(photo),
        "file_name": "photo.jpg",
        "caption": "Our shop",
        "wa_chat_id": chat.wa_chat_id,
        "to_phone": None,
    }
    # the file streams back from the message's media url
    got = await client.get(media["url"], headers=t.admin.headers)
    assert got.status == 200 and await got.read() == photo
    # the same request again: the same message, no second job
    again = await client.post(url, data=_form(photo, **form), headers=t.admin.headers)
    assert again.status == 202 and again.headers["X-Idempotent-Replay"] == "true"
    assert (await again.json())["data"]["messageId"] == data["messageId"]
    assert len(await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))) == 1
    # the same clientMessageId for another file or caption: 409
    for other in (
        _form(jpeg(color="green"), **form),
        _form(photo, caption="x", clientMessageId="ui-1"),
    ):
        resp = await client.post(url, data=other, headers=t.admin.headers)
        assert await _error(resp) == (409, "clientMessageId")
    # the same file in a second message is stored once: one blob row, one file
    resp = await client.post(
        url, data=_form(photo, clientMessageId="ui-2"), headers=t.admin.headers
    )
    assert resp.status == 202
    assert await _count(pg, "wa_media_blobs WHERE company_id = %s", t.company.id) == 1
    media_rows = "wa_message_media WHERE company_id = %s AND sha256 = %s"
    assert await _count(pg, media_rows, t.company.id, sha) == 2
    files = await asyncio.to_thread(_files, Path(settings.media_dir, str(t.company.id)))
    assert files == [sha]


async def test_kinds_types_and_fields_are_checked_up_front(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, _, url = await _chat(pg, t)
    h = t.admin.headers
    cases: list[tuple[aiohttp.FormData, str]] = [
        (_form(None, caption="no file"), "file"),
        (_form(b"", name="e.jpg"), "file"),
        (_form(jpeg(), kind="voice"), "kind"),  # a voice note is OGG/Opus
        (_form(b"plain text", mime="text/plain", name="a.txt", kind="image"), "kind"),
        (_form(b"not a jpeg at all", mime="image/jpeg"), "file"),
        (_form(jpeg(), kind="gif"), "kind"),
        (_form(jpeg(), caption="x" * 1025), "caption"),
        (_form(jpeg(), fileName="../etc/passwd"), "fileName"),
        (_form(jpeg(), clientMessageId="has space"), "clientMessageId"),
        (_form(jpeg(), surprise="1"), "surprise"),
        (_form(b"%PDF", mime="pdf"), "file"),
    ]
    for form, field in cases:
        resp = await client.post(url, data=form, headers=h)
        assert await _error(resp) == (400, field), field
    # JSON without a url, with a bad one
    for body, field in (({"caption": "x"}, "url"), ({"url": "ftp://example.com/a.jpg"}, "url")):
        resp = await client.post(url, json=body, headers=h)
        assert await _error(resp) == (400, field)
    # a document takes any type; a type with no kind named goes out as a document
    resp = await client.post(
        url, data=_form(b"%PDF-1.4 ...", mime="application/pdf", name="offer.pdf"), headers=h
    )
    assert resp.status == 202
    assert (await resp.json())["data"]["message"]["media"]["kind"] == "document"
    # a sender's file name keeps its last segment, without control characters
    form = _form(b"%PDF-1.4", mime="application/pdf", name="C:\\tmp\\a\u202eb.pdf")
    resp = await client.post(url, data=form, headers=h)
    assert resp.status == 202, await resp.text()
    assert (await resp.json())["data"]["message"]["media"]["fileName"] == "ab.pdf"
    # nothing else was queued
    jobs = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))
    assert len(jobs) == 2


@pytest.fixture
async def small_client(
    settings: Settings, pg: AsyncConnectionPool, redis: Redis
) -> AsyncIterator[Client]:
    """A gateway with a 1 MB media limit, which also fetches from loopback (a test server)."""
    small = settings.model_copy(update={"media_max_mb": 1, "webhook_allow_private": True})
    async with TestClient(GatewayTestServer(create_app(small))) as c:
        await wait_until_listening(c.app)
        yield c


async def test_files_over_the_limit_are_413(
    small_client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool
) -> None:
    t = await make_tenant()
    _, _, url = await _chat(pg, t)
    big = b"\0" * (1024 * 1024 + 1)
    resp = await small_client.post(
        url, data=_form(big, mime="application/pdf", name="big.pdf"), headers=t.admin.headers
    )
    assert await _error(resp) == (413, "file")

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: cut off while reading
        boundary = b"--xyz\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="b.pdf"\r\n'
        yield b"Content-Type: application/pdf\r\n\r\n"
        for _ in range(20):
            yield b"\1" * 100_000
        yield b"\r\n--xyz--\r\n"

    headers = {**t.admin.headers, "Content-Type": "multipart/form-data; boundary=xyz"}
    resp = await small_client.post(url, data=chunked(), headers=headers)
    assert await _error(resp) == (413, "file")
    # just under the limit is fine (above the app-wide APP_MAX_BODY_BYTES)
    fits = b"\0" * (1024 * 1024 - 10)
    resp = await small_client.post(
        url, data=_form(fits, mime="application/pdf", name="ok.pdf"), headers=t.admin.headers
    )
    assert resp.status == 202, await resp.text()


async def test_urls_are_fetched_with_the_limits(
    small_client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    _, _, url = await _chat(pg, t)
    photo = jpeg((30, 30))
    app = web.Application()

    async def photo_h(_: web.Request) -> web.Response:
        return web.Response(body=photo, content_type="image/jpeg")

    async def big_h(_: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/pdf"})
        await resp.prepare(_)
        for _i in range(12):
            await resp.write(b"\0" * 100_000)
        return resp

    async def moved_h(_: web.Request) -> web.Response:
        raise web.HTTPFound("/files/shop.jpg")

    app.router.add_get("/files/shop.jpg", photo_h)
    app.router.add_get("/big", big_h)
    app.router.add_get("/moved", moved_h)

    async def missing_h(_: web.Request) -> web.Response:
        return web.Response(status=404)

    app.router.add_get("/missing", missing_h)
    async with TestServer(app, host="127.0.0.1") as server:
        base = f"http://127.0.0.1:{server.port}"
        resp = await small_client.post(
            url, json={"url": f"{base}/moved", "caption": "hi"}, headers=t.admin.headers
        )
        assert resp.status == 202, await resp.text()
        media = (await resp.json())["data"]["message"]["media"]
        assert (media["kind"], media["fileName"], media["size"]) == (
            "image",
            "shop.jpg",
            len(photo),
        )
        resp = await small_client.post(url, json={"url": f"{base}/big"}, headers=t.admin.headers)
        assert await _error(resp) == (413, "url")
        resp = await small_client.post(
            url, json={"url": f"{base}/missing"}, headers=t.admin.headers
        )
        assert await _error(resp) == (400, "url")


async def test_urls_on_private_addresses_are_refused(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session, _, url = await _chat(pg, t)
    for target in (
        "http://127.0.0.1:9/a.jpg",
        "http://10.0.0.5/a.jpg",
        "http://[::1]/a.jpg",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/a.jpg",
    ):
        resp = await client.post(url, json={"url": target}, headers=t.admin.headers)
        status, field = await _error(resp)
        assert (status, field) == (400, "url"), target
        assert (
            "public" in (await resp.json())["error"]["message"]
            or "resolve" in (await resp.json())["error"]["message"]
        )
    assert await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id))) == []


async def test_send_media_to_a_number_and_rights(
    client: Client, make_tenant: MakeTenant, pg: AsyncConnectionPool, arq: ArqRedis
) -> None:
    t = await make_tenant()
    session = await seed_session(pg, t.company.id, state="ready")
    url = f"/api/whatsapp/sessions/{session.id}/send-media"
    form = _form(jpeg(), to="+7 900 111-22-33", caption="hello")
    resp = await client.post(url, data=form, headers=t.admin.headers)
    assert resp.status == 202, await resp.text()
    data = (await resp.json())["data"]
    assert data["message"]["waChatId"] == "79001112233@c.us"
    [job] = await arq.queued_jobs(queue_name=NAMES.session_queue(str(session.id)))
    assert (job.args[0]["to_phone"], job.args[0]["wa_chat_id"]) == ("79001112233", None)
    resp = await client.post(url, data=_form(jpeg()), headers=t.admin.headers)
    assert await _error(resp) == (400, "to")
    # a manager needs canWrite (403 with canRead only, 404 without it); keys the send scope
    resp = await client.post(url, data=_form(jpeg(), to="79001112233"), headers=t.manager.headers)
    assert resp.status == 404
    await grant(pg, t.company.id, session.id, t.manager.id, read=True)
    resp = await client.post(url, data=_form(jpeg(), to="79001112233"), headers=t.manager.headers)
    assert resp.status == 403
    read_key = await make_key(pg, t.company.id, ["read"])
    resp = await client.post(url, data=_form(jpeg(), to="79001112233"), headers=read_key.headers)
    assert resp.status == 403
    send_key = await make_key(pg, t.company.id, ["send"])
    resp = await client.post(url, data=_form(jpeg(), to="79001112233"), headers=send_key.headers)
    assert resp.status == 202
    # a stopped session sends nothing
    stopped = await seed_session(pg, t.company.id, name="off", desired="stopped")
    chat = await seed_chat(pg, stopped.id, "79001234567@c.us")
    resp = await client.post(
        f"/api/whatsapp/sessions/{stopped.id}/chats/{chat.id}/send-media",
        data=_form(jpeg()),
        headers=t.admin.headers,
    )
    assert resp.status == 409


def _s3_settings(settings: Settings, config: S3Config) -> Settings:
    return settings.model_copy(
        update={
            "media_backend": "s3",
            "media_s3_endpoint": config.endpoint,
            "media_s3_bucket": config.bucket,
            "media_s3_access_key": config.access_key,
            "media_s3_secret_key": config.secret_key,
        }
    )


async def test_the_s3_backend_through_the_api(
    settings: Settings,
    s3_config: S3Config,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
) -> None:
    """Upload, dedup and ranged download with the bytes in S3; a dead S3 is a JSON 503."""
    bucket = S3Bucket(s3_config)
    await bucket.ensure_bucket()
    t = await make_tenant()
    _, _, url = await _chat(pg, t)
    photo = jpeg((200, 100))
    async with TestClient(GatewayTestServer(create_app(_s3_settings(settings, s3_config)))) as c:
        await wait_until_listening(c.app)
        resp = await c.post(url, data=_form(photo, clientMessageId="s3-1"), headers=t.admin.headers)
        assert resp.status == 202, await resp.text()
        media_url = (await resp.json())["data"]["message"]["media"]["url"]
        resp = await c.post(url, data=_form(photo, clientMessageId="s3-2"), headers=t.admin.headers)
        assert resp.status == 202
        got = await c.get(media_url, headers={**t.admin.headers, "Range": "bytes=10-19"})
        assert got.status == 206 and await got.read() == photo[10:20]
    sha = hashlib.sha256(photo).hexdigest()
    assert await bucket.size(f"{t.company.id}/{sha[:2]}/{sha}") == len(photo)
    await bucket.aclose()
    dead = dataclasses.replace(s3_config, endpoint=f"http://127.0.0.1:{free_port()}")
    async with TestClient(GatewayTestServer(create_app(_s3_settings(settings, dead)))) as c:
        await wait_until_listening(c.app)
        resp = await c.post(url, data=_form(jpeg((9, 9))), headers=t.admin.headers)
        assert resp.status == 503 and (await resp.json())["error"]["code"] == "unavailable"
        resp = await c.get(media_url, headers=t.admin.headers)
        assert resp.status == 503
