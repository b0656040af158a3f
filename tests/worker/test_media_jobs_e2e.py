"""The media jobs through a real worker process (arq, as the gateway enqueues them): send_media
reaches the contact and publishes message_sent with the file; retry_media brings back a file
whose downloads had given up (message_media unavailable, then ready)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from uuid import UUID

import pytest

from shared import events, jobs
from shared.constants import RedisNames
from shared.db.repos import chats, messages
from shared.db.repos import media as media_repo
from shared.db.types import MessageMedia
from shared.media.local import LocalMediaStore
from shared.queues import enqueue_command
from simulator.media import fixture_bytes
from tests.support.events import is_state, of_type
from tests.support.stack import Stack, unique_phone

pytestmark = pytest.mark.e2e


async def _ready(stack: Stack, phone: str) -> UUID:
    session_id = await stack.new_session()
    qr = await stack.tap.wait_for(of_type("qr"), 60, "qr")
    assert isinstance(qr, events.QrEvent)
    await stack.sim.link(qr.data.qr_raw, phone, "Shop")
    await stack.tap.wait_for(is_state("ready"), 60, "ready")
    return session_id


async def _row(stack: Stack, session_id: UUID, wa_msg_id: str, status: str) -> MessageMedia:
    """The media row once it is ``status`` with no retry due."""
    assert stack.company_id is not None
    for _ in range(300):
        async with stack.pg.connection() as conn:
            msg = await messages.worker_get_by_wa_id(
                conn, session_id=session_id, wa_msg_id=wa_msg_id
            )
            row = (
                await media_repo.get(conn, company_id=stack.company_id, message_id=msg.id)
                if msg
                else None
            )
        if row is not None and row.status == status and row.next_attempt_at is None:
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"media of {wa_msg_id} not {status}\n{stack.logs()}")


async def test_send_media_and_retry_media_jobs(stack: Stack, tmp_path: Path) -> None:
    media_dir = tmp_path / "media"
    stack.start_worker("w1", APP_MEDIA_DIR=str(media_dir), APP_MEDIA_ATTEMPTS="1")
    phone, contact = unique_phone(), unique_phone()
    session_id = await _ready(stack, phone)
    names = RedisNames.of(stack.settings)

    # a contact's voice note whose download fails: given up at once (one attempt)
    sent = await stack.sim.inbound_media(phone, contact, "ptt", name="Ann", fail_downloads=1)
    failed = await _row(stack, session_id, sent["id"], "failed")
    await stack.tap.wait_for(of_type("message_media"), 30, "unavailable")
    args = jobs.RetryMedia(session_id=session_id, message_id=failed.message_id)
    assert await enqueue_command(stack.arq, names, str(session_id), jobs.RETRY_MEDIA, args)
    stored = await _row(stack, session_id, sent["id"], "stored")
    assert stored.sha256 == hashlib.sha256(fixture_bytes("ptt")).hexdigest()
    media_events: list[events.MessageMediaEvent] = []
    for _ in range(100):
        media_events = [e for e in stack.tap.seen if isinstance(e, events.MessageMediaEvent)]
        if len(media_events) == 3:
            break
        await asyncio.sleep(0.1)
    assert [e.data.media.status for e in media_events] == ["unavailable", "pending", "ready"]

    # a stored photo sent to that contact, as the send-media route does it
    assert stack.company_id is not None
    data = fixture_bytes("image")
    blob = await LocalMediaStore(media_dir).put(stack.company_id, data)
    async with stack.pg.connection() as conn:
        chat = await chats.worker_get_by_wa_id(
            conn, session_id=session_id, wa_chat_id=f"{contact}@c.us"
        )
        assert chat is not None
        msg, _ = await messages.create_outgoing(
            conn,
            session_id=session_id,
            chat_id=chat.id,
            client_msg_id=uuid.uuid4().hex,
            body="the photo",
            sent_by_user_id=None,
        )
        await media_repo.record_blob(
            conn, company_id=stack.company_id, sha256=blob.sha256, size=blob.size, mime="image/jpeg"
        )
        await media_repo.capture(
            conn, message_id=msg.id, company_id=stack.company_id, session_id=session_id,
            kind="image", mime="image/jpeg", size=blob.size, sha256=blob.sha256,
        )  # fmt: skip
    job = jobs.SendMedia(
        session_id=session_id,
        message_id=msg.id,
        client_msg_id=msg.client_msg_id or "",
        kind="image",
        mime="image/jpeg",
        sha256=blob.sha256,
        size=blob.size,
        caption="the photo",
        wa_chat_id=chat.wa_chat_id,
    )
    assert await enqueue_command(stack.arq, names, str(session_id), jobs.SEND_MEDIA, job)
    got = await stack.tap.wait_for(of_type("message_sent"), 60, "message_sent")
    assert isinstance(got, events.MessageSentEvent)
    media = got.data.message.media
    assert media is not None and (media.kind, media.status) == ("image", "ready")
    [out] = await stack.sim.sent(phone)
    assert out["text"] == "the photo" and out["media"]["sha256"] == blob.sha256
