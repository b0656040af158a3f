"""Media end to end (a runtime in this process, real Chromium, Redis, Postgres and simulator): a
contact's files of each kind are captured with their message, downloaded, stored once per
company (sha256) and announced; failed downloads are retried with backoff, then shown as
unavailable until a retry; files over APP_MEDIA_MAX_MB are never downloaded; stored files sent
to a contact arrive byte for byte as the right kind with their caption. Both bridges."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis

from shared import events, jobs
from shared.constants import RedisNames
from shared.db.repos import chats, event_log, messages
from shared.db.repos import media as media_repo
from shared.db.types import Message, MessageMedia
from shared.media.factory import media_store
from shared.media.kinds import MediaKind
from shared.settings import Settings
from simulator.media import FIXTURE_FILES, fixture_bytes
from simulator.models import MediaType
from tests.conftest import MakeCompany
from tests.support.runtime import Running, linked_runtime, until
from tests.support.sim import SimClient
from tests.support.stack import unique_phone
from worker import media as worker_media
from worker.browser.observed import OutgoingFile, Target

pytestmark = pytest.mark.e2e

# wa-js's type of each of our kinds
WA_TYPE: dict[MediaKind, MediaType] = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "voice": "ptt",
    "document": "document",
    "sticker": "sticker",
}


@pytest.fixture
def bridge(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "module"))


@pytest.fixture
async def running(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    tmp_path: Path,
    bridge: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Running]:
    monkeypatch.setattr(worker_media, "BACKOFF_S", 0.2)  # retries in tenths of seconds
    monkeypatch.setattr(worker_media, "RETRY_CHECK_S", 0.2)
    company = await make_company()
    await sim.config(bridge="on" if bridge == "module" else "off")
    async with linked_runtime(
        settings,
        sim,
        pg,
        redis,
        company.id,
        tmp_path / "profiles",
        wa_url=sim_url,
        bridge=bridge,
        media_dir=tmp_path / "media",
        media_attempts=3,
    ) as running:
        yield running


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _message(r: Running, wa_msg_id: str) -> Message | None:
    async with r.pg.connection() as conn:
        return await messages.worker_get_by_wa_id(
            conn, session_id=r.session_id, wa_msg_id=wa_msg_id
        )


async def _media(r: Running, message_id: uuid.UUID) -> MessageMedia | None:
    async with r.pg.connection() as conn:
        return await media_repo.get(conn, company_id=r.company_id, message_id=message_id)


async def _settled(r: Running, wa_msg_id: str, status: str = "stored") -> MessageMedia:
    """The media row once it is ``status`` for good (a failed one: no retry due any more)."""

    async def check() -> MessageMedia | None:
        msg = await _message(r, wa_msg_id)
        row = await _media(r, msg.id) if msg else None
        if row is None or row.status != status:
            return None
        return row if status != "failed" or row.next_attempt_at is None else None

    return await until(check, f"media of {wa_msg_id} {status}", 60)


async def _events(r: Running) -> list[events.Event]:
    async with r.pg.connection() as conn:
        return await event_log.after(conn, company_id=r.company_id, after_id=0, limit=1000)


def _stored_path(r: Running, settings: Settings, sha256: str) -> Path:
    cfg = r.runtime._settings
    return Path(cfg.media_dir) / str(r.company_id) / sha256[:2] / sha256


@pytest.mark.parametrize("bridge", ["module", "page"], indirect=True)
async def test_each_kind_from_a_contact_is_stored_and_announced(
    running: Running, settings: Settings
) -> None:
    r, contact = running, unique_phone()
    for kind, wa_type in WA_TYPE.items():
        sent = await r.sim.inbound_media(r.phone, contact, wa_type, f"the {kind}", name="Ann")
        row = await _settled(r, sent["id"])
        data = fixture_bytes(wa_type)
        assert (row.kind, row.sha256, row.size) == (kind, _sha(data), len(data))
        assert _stored_path(r, settings, _sha(data)).read_bytes() == data
        msg = await _message(r, sent["id"])
        assert msg is not None and (msg.type, msg.body) == (kind, f"the {kind}")
        if r.runtime._wa.bridge.kind == "module":  # what wa-js tells of the file
            assert row.mime == FIXTURE_FILES[wa_type].mime
            assert row.duration_s == FIXTURE_FILES[wa_type].duration
            if kind in ("image", "video"):
                assert row.thumbnail and row.thumbnail[:2] == b"\xff\xd8" and row.width
        if kind == "document":
            assert row.file_name == "invoice.pdf"
    logged = await _events(r)
    arrived = [e for e in logged if isinstance(e, events.MessageEvent)]
    assert [e.data.message.type for e in arrived] == list(WA_TYPE)
    assert all(e.data.message.media and e.data.message.media.status == "pending" for e in arrived)
    ready = [e for e in logged if isinstance(e, events.MessageMediaEvent)]
    assert [e.data.media.kind for e in ready] == list(WA_TYPE)
    assert {e.data.media.status for e in ready} == {"ready"}
    assert [e.data.message_id for e in ready] == [e.data.message.id for e in arrived]


async def test_the_same_file_twice_is_stored_once(running: Running, settings: Settings) -> None:
    r = running
    first = await r.sim.inbound_media(r.phone, unique_phone(), "image", "one")
    second = await r.sim.inbound_media(r.phone, unique_phone(), "image", "two")
    a, b = await _settled(r, first["id"]), await _settled(r, second["id"])
    assert a.message_id != b.message_id and a.sha256 == b.sha256
    async with r.pg.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM wa_media_blobs WHERE company_id = %s", (r.company_id,)
        )
        found: Any = await cur.fetchone()
        assert found["n"] == 1
    assert a.sha256 is not None and _stored_path(r, settings, a.sha256).exists()


@pytest.mark.parametrize("bridge", ["module", "page"], indirect=True)
async def test_a_failed_download_is_retried_then_stored(running: Running, redis: Redis) -> None:
    """Two downloads fail: wa-js's two, or the page's own and its retry (pressed by the worker)."""
    r = running
    sent = await r.sim.inbound_media(r.phone, unique_phone(), "voice", fail_downloads=2)
    row = await _settled(r, sent["id"])
    assert row.sha256 == _sha(fixture_bytes("ptt")) and row.last_error is None
    failed = 2 if r.runtime._wa.bridge.kind == "module" else 1
    assert row.attempts == failed
    counts: dict[bytes, bytes] = await redis.hgetall(  # type: ignore[misc]
        RedisNames.of(r.runtime._settings).media_counts
    )
    assert counts[b"failed"] == str(failed).encode() and counts[b"stored"] == b"1"


async def test_downloads_give_up_after_the_attempts_until_a_retry(running: Running) -> None:
    r = running
    sent = await r.sim.inbound_media(r.phone, unique_phone(), "document", fail_downloads=50)
    row = await _settled(r, sent["id"], "failed")
    assert row.attempts == 3 and row.next_attempt_at is None
    assert row.last_error and row.last_error.startswith("media_download_failed")
    gave_up = [e for e in await _events(r) if isinstance(e, events.MessageMediaEvent)]
    assert [e.data.media.status for e in gave_up] == ["unavailable"]

    await r.sim.media_failures(r.phone, sent["messageId"], 0)
    assert await r.runtime.retry_media(row.message_id)
    stored = await _settled(r, sent["id"])
    assert stored.sha256 == _sha(fixture_bytes("document"))
    statuses = [
        e.data.media.status for e in await _events(r) if isinstance(e, events.MessageMediaEvent)
    ]
    assert statuses == ["unavailable", "pending", "ready"]
    assert not await r.runtime.retry_media(row.message_id)  # stored: nothing to do


async def test_a_file_over_the_limit_is_never_downloaded(
    settings: Settings,
    sim: SimClient,
    sim_url: str,
    pg: AsyncConnectionPool,
    redis: Redis,
    make_company: MakeCompany,
    tmp_path: Path,
) -> None:
    company = await make_company()
    await sim.config(bridge="on")
    big = fixture_bytes("image") + b"\0" * (1024 * 1024)  # a JPEG with 1 MB of trailing bytes
    async with linked_runtime(
        settings, sim, pg, redis, company.id, tmp_path / "p", wa_url=sim_url, bridge="module",
        media_dir=tmp_path / "media", media_max_mb=1,
    ) as r:  # fmt: skip
        sent = await sim.inbound_media(
            r.phone, unique_phone(), "image", data=big, mime="image/jpeg"
        )
        row = await _settled(r, sent["id"], "failed")
    assert row.attempts == 1 and row.next_attempt_at is None and row.sha256 is None
    assert row.last_error == (
        f"too_large: {len(big)} bytes, over APP_MEDIA_MAX_MB=1 (not downloaded)"
    )
    assert not (tmp_path / "media").exists()


async def _stored_outgoing(
    r: Running, wa_chat_id: str, kind: MediaKind, data: bytes, mime: str, caption: str
) -> jobs.SendMedia:
    """What the gateway does for send-media: the file stored, a pending message with its media
    row (stored), then the job."""
    blob = await media_store(r.runtime._settings).put(r.company_id, data)
    async with r.pg.connection() as conn:
        chat = await chats.worker_get_by_wa_id(conn, session_id=r.session_id, wa_chat_id=wa_chat_id)
        assert chat is not None
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=r.session_id,
            chat_id=chat.id,
            client_msg_id=uuid.uuid4().hex,
            body=caption,
            sent_by_user_id=None,
        )
        await media_repo.record_blob(
            conn, company_id=r.company_id, sha256=blob.sha256, size=blob.size, mime=mime
        )
        await media_repo.capture(
            conn,
            message_id=msg.id,
            company_id=r.company_id,
            session_id=r.session_id,
            kind=kind,
            mime=mime,
            size=blob.size,
            sha256=blob.sha256,
        )
    return jobs.SendMedia(
        session_id=r.session_id,
        message_id=msg.id,
        client_msg_id=msg.client_msg_id or "",
        kind=kind,
        mime=mime,
        sha256=blob.sha256,
        size=blob.size,
        file_name="invoice.pdf" if kind == "document" else None,
        caption=caption,
        wa_chat_id=wa_chat_id,
    )


async def _sent_row(r: Running, message_id: uuid.UUID) -> Message:
    async def check() -> Message | None:
        async with r.pg.connection() as conn:
            msg = await messages.worker_get(conn, session_id=r.session_id, message_id=message_id)
        assert msg is not None and msg.status != "failed", msg and msg.error
        return msg if msg.status in ("sent", "delivered", "read") else None

    return await until(check, f"message {message_id} sent", 60)


async def _at_sim_server(r: Running, count: int) -> list[dict[str, Any]]:
    """The phone's sent messages once ``count`` reached the simulated server (the page bridge
    takes its own row, a clock at first, as sent while the upload may still be under way)."""

    async def check() -> list[dict[str, Any]] | None:
        got: list[dict[str, Any]] = await r.sim.sent(r.phone)
        return got if len(got) >= count else None

    return await until(check, f"{count} messages at the simulated server", 30)


@pytest.mark.parametrize(
    ("bridge", "kinds"),
    [
        ("module", ("image", "video", "audio", "voice", "document", "sticker")),
        ("page", ("image", "document")),
    ],
    indirect=["bridge"],
)
async def test_stored_files_reach_the_contact_as_their_kind(
    running: Running, kinds: tuple[MediaKind, ...]
) -> None:
    r, contact = running, unique_phone()
    await r.sim.inbound(r.phone, contact, "hi", name="Ann")  # a chat to answer in
    wa_chat_id = f"{contact}@c.us"
    await until(lambda: _chat(r, wa_chat_id), "the contact's chat")
    for n, kind in enumerate(kinds):
        wa_type = WA_TYPE[kind]
        data, mime = fixture_bytes(wa_type), FIXTURE_FILES[wa_type].mime
        caption = f"here is the {kind}" if kind not in ("voice", "sticker") else ""
        job = await _stored_outgoing(r, wa_chat_id, kind, data, mime, caption)
        await r.runtime.send_media(job)
        msg = await _sent_row(r, job.message_id)
        sent = await _at_sim_server(r, n + 1)
        assert len(sent) == n + 1
        out = sent[-1]
        assert out["id"] == msg.wa_msg_id and out["to"] == contact and out["text"] == caption
        assert out["media"]["kind"] == wa_type and out["media"]["sha256"] == _sha(data)
        assert await r.sim.message_media(r.phone, out["messageId"]) == data
        await r.runtime.send_media(job)  # redelivered: never twice
        assert len(await r.sim.sent(r.phone)) == n + 1
    sent_events = [e for e in await _events(r) if isinstance(e, events.MessageSentEvent)]
    assert all(e.data.message.media and e.data.message.media.status == "ready" for e in sent_events)


async def _chat(r: Running, wa_chat_id: str) -> bool:
    async with r.pg.connection() as conn:
        found = await chats.worker_get_by_wa_id(
            conn, session_id=r.session_id, wa_chat_id=wa_chat_id
        )
    return found is not None


async def test_a_file_sent_before_a_crash_is_adopted_not_sent_again(running: Running) -> None:
    """WhatsApp took the file, the worker died before recording it: the redelivered job finds
    it among the chat's own messages (its kind and caption) and records that one."""
    r, contact = running, unique_phone()
    await r.sim.inbound(r.phone, contact, "hi", name="Ann")
    wa_chat_id = f"{contact}@c.us"
    await until(lambda: _chat(r, wa_chat_id), "the contact's chat")
    data, mime = fixture_bytes("document"), FIXTURE_FILES["document"].mime
    job = await _stored_outgoing(r, wa_chat_id, "document", data, mime, "the contract")
    file = OutgoingFile("document", mime, data, "invoice.pdf", "the contract")
    async with r.runtime._page:  # the crash: sent, never recorded
        await r.runtime._wa.bridge.send_media(Target(wa_chat_id=wa_chat_id), file)
    guard = RedisNames.of(r.runtime._settings).send_guard_key(str(job.message_id))
    await r.redis.set(guard, "w-crashed", ex=600)
    await r.runtime.send_media(job)
    msg = await _sent_row(r, job.message_id)
    [out] = await r.sim.sent(r.phone)
    assert out["id"] == msg.wa_msg_id and out["media"]["sha256"] == _sha(data)
