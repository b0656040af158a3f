"""Media in the dashboard, in headless Chromium through nginx against a real gateway: photos,
stickers, voice notes, videos and documents in a conversation (pending, unavailable with Retry,
expired, then the file when ``whatsapp:message_media`` says so), the photo viewer from the keyboard,
and the reply box's attachments (picker, drop, checks, progress, cancel, the multipart request);
no serious or critical axe-core finding and no sideways scrolling with media on screen."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from selenium.webdriver.common.keys import Keys

from shared import events
from shared.db.repos import media, messages
from shared.db.types import Chat, Message, MessageMedia, WaSession
from shared.media.factory import media_store
from shared.payloads import media_payload, message_payload
from shared.settings import Settings
from tests.gateway.as_worker import publish
from tests.gateway.conftest import MakeBrowser, MakeTenant, Tenant, run
from tests.support.dashboard import DESKTOP, PHONE
from tests.support.media_page import MediaPage
from tests.support.wa import grant, seed_chat, seed_session

pytestmark = pytest.mark.e2e
Client = TestClient[Any, Any]
MB = 1024 * 1024


def picture(width: int, height: int, fmt: str, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


@dataclass(frozen=True)
class Inbox:
    session: WaSession
    chat: Chat


@dataclass(frozen=True)
class File:
    kind: str
    mime: str
    data: bytes | None = None  # stored when given
    status: str = "stored"  # pending | stored | failed | expired
    caption: str = ""
    file_name: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


class Media:
    """Media messages written as the worker writes them (row, media row, blob), and their events."""

    def __init__(self, pg: AsyncConnectionPool, redis: Redis, settings: Settings, t: Tenant):
        self.pg, self.redis, self.store, self.t = pg, redis, media_store(settings), t
        self.n = 0

    async def inbox(self) -> Inbox:
        session = await seed_session(
            self.pg, self.t.company.id, name="Sales", state="ready", phone="79990001122"
        )
        chat = await seed_chat(self.pg, session.id, "79161234567@c.us", name="Carol Smith")
        await grant(self.pg, self.t.company.id, session.id, self.t.manager.id, write=True)
        return Inbox(session, chat)

    async def message(self, box: Inbox, f: File) -> tuple[Message, MessageMedia]:
        self.n += 1
        sha = None
        if f.data is not None:
            stored = await self.store.put(self.t.company.id, f.data)
            sha = stored.sha256
        async with self.pg.connection() as conn, conn.transaction():
            row, _ = await messages.worker_upsert_observed(
                conn,
                session_id=box.session.id,
                chat_id=box.chat.id,
                wa_msg_id=f"WAMEDIA{self.n:04d}{box.chat.id.hex[:6]}",
                direction="in",
                sender="Carol",
                body=f.caption,
                msg_type=f.kind,
                status="delivered",
                wa_timestamp=datetime.now(UTC) - timedelta(minutes=30 - self.n),
            )
            if sha is not None:
                await media.record_blob(
                    conn, company_id=self.t.company.id, sha256=sha, size=len(f.data or b""),
                    mime=f.mime,
                )  # fmt: skip
            held = await media.capture(
                conn, message_id=row.id, company_id=self.t.company.id, session_id=box.session.id,
                kind=f.kind, mime=f.mime, size=len(f.data) if f.data else 48213,
                file_name=f.file_name, duration_s=f.duration_s, width=f.width, height=f.height,
                thumbnail=f.thumbnail, sha256=sha,
            )  # fmt: skip
            if f.status == "failed":
                failed = await media.mark_failed(
                    conn, message_id=row.id, error="download failed", retry_at=None
                )
                assert failed is not None
                held = failed
            elif f.status == "expired":
                await conn.execute(
                    "UPDATE wa_message_media SET status = 'expired' WHERE message_id = %s",
                    (row.id,),
                )
                expired = await media.get(conn, company_id=self.t.company.id, message_id=row.id)
                assert expired is not None
                held = expired
        return row, held

    async def arrive(self, box: Inbox, f: File) -> tuple[str, MessageMedia]:
        """A media message comes in live (``whatsapp:message``); returns its id."""
        row, held = await self.message(box, f)
        data = events.MessageData(
            chat_id=box.chat.id,
            message=message_payload(row, wa_chat_id=box.chat.wa_chat_id, media=held),
        )
        await publish(
            self.pg,
            self.redis,
            events.MessageEvent(session_id=box.session.id, company_id=self.t.company.id, data=data),
        )
        return str(row.id), held

    async def downloaded(self, box: Inbox, message_id: str, data: bytes) -> None:
        """The worker got the file at last: stored, and ``whatsapp:message_media`` says so."""
        stored = await self.store.put(self.t.company.id, data)
        async with self.pg.connection() as conn, conn.transaction():
            held = await media.get(conn, company_id=self.t.company.id, message_id=UUID(message_id))
            assert held is not None
            await media.record_blob(
                conn, company_id=self.t.company.id, sha256=stored.sha256, size=stored.size,
                mime=held.mime,
            )  # fmt: skip
            done = await media.mark_stored(
                conn, message_id=held.message_id, sha256=stored.sha256, size=stored.size
            )
        assert done is not None
        event = events.MessageMediaEvent(
            session_id=box.session.id,
            company_id=self.t.company.id,
            data=events.MessageMediaData(
                chat_id=box.chat.id, message_id=done.message_id, media=media_payload(done)
            ),
        )
        await publish(self.pg, self.redis, event)


THUMB = picture(32, 24, "JPEG", "orange")
PHOTO = picture(640, 480, "PNG")


async def _open(page: MediaPage, t: Tenant, box: Inbox) -> None:
    await run(page.login, t.manager.user.email, t.manager.password)
    await run(page.wait_view, "sessions")
    await run(page.go, f"#/chats/{box.session.id}/{box.chat.id}")
    await run(page.wait_visible, "[data-testid=compose]")
    await run(page.socket_transport)  # live before the events come


async def test_media_messages_by_kind_and_status_and_the_viewer(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    settings: Settings,
    tmp_path: Path,
) -> None:
    t = await make_tenant()
    m = Media(pg, redis, settings, t)
    box = await m.inbox()
    page = MediaPage(make_browser(DESKTOP), front + "/")
    await _open(page, t, box)

    photo, _ = await m.arrive(box, File(
        "image", "image/png", PHOTO, caption="The sofa, front", width=640, height=480,
        thumbnail=THUMB,
    ))  # fmt: skip
    voice, _ = await m.arrive(box, File("voice", "audio/ogg; codecs=opus", b"OggS" * 900,
                                        duration_s=7.4))  # fmt: skip
    doc, _ = await m.arrive(box, File(
        "document", "application/pdf", b"%PDF-1.4\n" + b"0" * 48204, file_name="invoice-1042.pdf",
        caption="The invoice",
    ))  # fmt: skip
    sticker, _ = await m.arrive(box, File("sticker", "image/webp", picture(64, 64, "WEBP")))
    video, _ = await m.arrive(box, File(
        "video", "video/mp4", status="pending", width=320, height=240, thumbnail=THUMB,
        duration_s=65,
    ))  # fmt: skip
    lost, _ = await m.arrive(box, File(
        "image", "image/jpeg", status="failed", thumbnail=THUMB, caption="Lost one"
    ))  # fmt: skip
    old, _ = await m.arrive(box, File(
        "document", "application/zip", status="expired", file_name="catalogue.zip"
    ))  # fmt: skip

    # each kind with its own elements; the caption under the file
    shown = await run(page.wait_media, photo, {"kind": "image", "status": "ready"})
    assert shown["caption"] == "The sofa, front"
    assert {"media-open", "media-img"} <= set(shown["elements"])
    shown = await run(page.wait_media, voice, {"kind": "voice", "status": "ready"})
    assert shown["duration"] == "0:07" and shown["caption"] is None  # no caption: no empty line
    assert shown["player"]["label"] == "Voice message, 0:07"
    shown = await run(page.wait_media, doc, {"kind": "document"})
    assert shown["doc"] == {
        "name": "invoice-1042.pdf",
        "meta": "PDF · 47 KB",
        "label": "Download: ",
    }
    assert shown["caption"] == "The invoice"
    shown = await run(page.wait_media, sticker, {"kind": "sticker", "status": "ready"})
    assert "media-sticker" in shown["elements"]
    shown = await run(page.wait_media, video, {"kind": "video", "status": "pending"})
    assert "media-pending" in shown["elements"] and shown["player"] is None
    shown = await run(page.wait_media, lost, {"kind": "image", "status": "unavailable"})
    assert shown["retry"] is True and shown["caption"] == "Lost one"
    shown = await run(page.wait_media, old, {"kind": "document", "status": "expired"})
    assert "media-expired" in shown["elements"] and shown["retry"] is None

    # the pending video arrives: the player takes the placeholder's place, thumbnail as poster
    await m.downloaded(box, video, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000)
    shown = await run(page.wait_media, video, {"status": "ready"})
    assert shown["player"]["poster"] == "thumbnail"
    assert shown["player"]["label"] == "Video, 1:05"

    # the photo: thumbnail first, then the file through a signed link (the token stays out of it)
    await run(page.scroll_to_media, photo)
    shown = await run(page.wait_media, photo, {"image_loaded": "true"})
    assert shown["image"]["source"] == "signed"
    assert (await run(page.wait_media, voice, {"player_loaded": "true"}))["player"][
        "source"
    ] == "signed"

    # the viewer: opened from the keyboard, focus inside and kept there, Esc closes it and the
    # focus goes back to the photo
    await run(page.tab_to, f'[data-message-id="{photo}"] [data-testid=media-open]')
    await run(page.keys, Keys.ENTER)
    seen = await run(page.wait_viewer, {"open": True, "image": "signed"})
    assert seen["modal"] and seen["caption"] == "The sofa, front" and seen["download"]
    assert seen["title"] == "Photo" and seen["focus"] == "viewer-close"
    for _ in range(3):
        await run(page.keys, Keys.TAB)
        assert (await run(page.viewer))["focus"] != "outside"
    await run(page.settle)
    assert await run(page.axe) == []  # with the viewer open
    await run(page.keys, Keys.ESCAPE)
    assert (await run(page.wait_viewer, {"open": False}))["open"] is False
    assert await run(page.focused_testid) == "media-open"
    # ... and by its close button
    await run(page.open_photo, photo)
    await run(page.wait_viewer, {"open": True})
    await run(page.click, "[data-testid=viewer-close]")
    await run(page.wait_viewer, {"open": False})

    # unavailable: Retry asks the gateway to download it again, the file comes with the event
    await run(page.retry_media, lost)
    await run(page.wait_media, lost, {"status": "pending"})
    await m.downloaded(box, lost, picture(200, 150, "JPEG", "navy"))
    shown = await run(
        page.wait_media, lost, {"kind": "image", "status": "ready", "image_loaded": "true"}
    )
    assert shown["caption"] == "Lost one"

    # the document downloads through a signed link, under its own name
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    await run(page.allow_downloads, str(downloads))
    await run(page.download_document, doc)
    saved = await run(page.wait_download, downloads, "invoice-1042.pdf")
    assert saved == b"%PDF-1.4\n" + b"0" * 48204

    # the same conversation loaded afresh from the REST page shows the same files
    await run(page.driver.refresh)
    await run(page.wait_media, doc, {"kind": "document", "status": "ready"})
    await run(page.wait_media, old, {"status": "expired"})
    await run(page.settle)
    assert await run(page.axe) == []
    assert await run(page.overflow_px) == 0
    assert await run(page.console_errors) == []


async def test_attach_a_file_progress_cancel_and_send_on_a_phone(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    settings: Settings,
    tmp_path: Path,
) -> None:
    t = await make_tenant()
    box = await Media(pg, redis, settings, t).inbox()
    picked = tmp_path / "sofa-front.png"
    picked.write_bytes(picture(400, 300, "PNG") + b"\x00" * (180 * 1024))  # ~180 KB
    page = MediaPage(make_browser(PHONE), front + "/")
    await _open(page, t, box)
    await run(page.record_uploads)

    # too big for the server: refused before any upload, saying why
    assert await run(page.drop_file, "holiday.mp4", "video/mp4", 17 * MB) is True
    chip = await run(page.wait_chip, {"shown": True, "refused": True})
    assert chip["error"] == "This file is 17 MB; the largest you can send is 16 MB."
    assert chip["name"] == "holiday.mp4" and chip["meta"] == "Video · 17 MB"
    await run(page.send_attachment)
    assert await run(page.uploads) == []
    await run(page.remove_attachment)
    await run(page.wait_chip, {"shown": False})

    # a "photo" the server cannot decode: its 400, naming the field, shown in the chip
    assert await run(page.drop_file, "broken.png", "image/png", 2048) is True
    await run(page.wait_chip, {"shown": True, "refused": False})
    await run(page.send_attachment)
    chip = await run(page.wait_chip, {"error": "file: not a readable image/png picture"})
    assert chip["shown"] and not chip["sending"]
    [refused] = await run(page.wait_uploads_done, 1)
    assert refused["status"] == 400
    # tried again as it is: the same clientMessageId; with another caption: a new message's
    await run(page.send_attachment)
    await run(page.wait_uploads_done, 2)
    await run(page.wait_chip, {"sending": False})
    await run(page.type_caption, "a new caption")
    await run(page.send_attachment)
    ups = await run(page.wait_uploads_done, 3)
    ids = [u["fields"]["clientMessageId"] for u in ups]
    assert ids[0] == ids[1] != ids[2] and ups[2]["fields"]["caption"] == "a new caption"
    await run(page.remove_attachment)
    await run(page.wait_chip, {"shown": False})

    # picked with the file chooser: the chip with its name, size and a caption field
    await run(page.type_into, "#compose", "Here it is")
    await run(page.attach_path, str(picked))
    chip = await run(page.wait_chip, {"shown": True, "refused": False})
    assert chip["name"] == "sofa-front.png" and chip["meta"].startswith("Photo · ")
    assert chip["caption"] == "Here it is" and not chip["composeShown"]
    assert await run(page.focused_testid) == "attach-caption"
    await run(page.settle)
    assert await run(page.axe) == []
    assert await run(page.overflow_px) == 0

    # a slow line: the bar moves, a cancel stops it and keeps the file for another try
    await run(page.throttle_upload, 24 * 1024)
    await run(page.send_attachment)
    midway = await run(page.wait_progress_midway)
    chip = await run(page.chip)
    assert chip["sending"] and chip["status"].startswith("Uploading… ") and 0 < midway < 100
    await run(page.cancel_upload)
    chip = await run(page.wait_chip, {"sending": False})
    assert chip["error"] == "Upload cancelled. Send again or remove the file."
    assert chip["shown"] and chip["caption"] == "Here it is"
    first = (await run(page.wait_uploads_done, 4))[3]
    sid, cid = box.session.id, box.chat.id
    assert first["method"] == "POST"
    assert first["url"] == f"/api/whatsapp/sessions/{sid}/chats/{cid}/send-media"
    assert "authorization" in first["headers"] and first["status"] == 0
    assert first["fields"]["caption"] == "Here it is"
    assert first["fields"]["file"] == {
        "file": "sofa-front.png", "size": picked.stat().st_size, "type": "image/png",
    }  # fmt: skip

    # sent again at full speed, with the same clientMessageId: the message joins the chat
    await run(page.throttle_upload, -1)
    await run(page.send_attachment)
    await run(page.wait_chip, {"shown": False})
    again = (await run(page.wait_uploads_done, 5))[4]
    assert again["fields"]["clientMessageId"] == first["fields"]["clientMessageId"]
    assert again["status"] == 202
    async with pg.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT m.id, m.body, mm.kind, mm.sha256 FROM wa_messages m"
            " JOIN wa_message_media mm ON mm.message_id = m.id WHERE m.client_msg_id = %s",
            (first["fields"]["clientMessageId"],),
        )
        rows = await cur.fetchall()
    assert len(rows) == 1
    sent = rows[0]
    assert {k: sent[k] for k in ("body", "kind", "sha256")} == {
        "body": "Here it is", "kind": "image",
        "sha256": hashlib.sha256(picked.read_bytes()).hexdigest(),
    }  # fmt: skip
    shown = await run(page.wait_media, str(sent["id"]), {"kind": "image", "status": "ready"})
    assert shown["caption"] == "Here it is"
    await run(page.wait_media, str(sent["id"]), {"image_loaded": "true"})
    await run(page.settle)
    assert await run(page.axe) == []  # a phone's conversation with a photo in it
    assert await run(page.overflow_px) == 0

    # a pasted screenshot takes what was typed as its caption; Esc gives the text back
    await run(page.type_into, "#compose", "look at this")
    await run(page.paste_file, "image.png", "image/png", 4096)
    chip = await run(page.wait_chip, {"shown": True})
    assert (chip["name"], chip["caption"], chip["composeShown"]) == (
        "image.png", "look at this", False,
    )  # fmt: skip
    await run(page.press, "[data-testid=attach-caption]", Keys.ESCAPE)
    await run(page.wait_chip, {"shown": False, "composeShown": True})
    assert await run(page.value_of, "#compose") == "look at this"
    assert await run(page.focused_id) == "compose"
    assert await run(page.console_errors) == []


async def test_media_in_russian_and_an_empty_file_refused(
    client: Client,
    front: str,
    make_browser: MakeBrowser,
    make_tenant: MakeTenant,
    pg: AsyncConnectionPool,
    redis: Redis,
    settings: Settings,
) -> None:
    t = await make_tenant()
    m = Media(pg, redis, settings, t)
    box = await m.inbox()
    page = MediaPage(make_browser(PHONE, "ru-RU,ru"), front + "/")
    await _open(page, t, box)
    voice, _ = await m.arrive(box, File("voice", "audio/ogg", b"OggS" * 100, duration_s=75))
    doc, _ = await m.arrive(box, File(
        "document", "application/pdf", b"%PDF-1.4\n" + b"0" * 48204, file_name="счёт.pdf"
    ))  # fmt: skip
    lost, _ = await m.arrive(box, File("video", "video/mp4", status="failed"))

    shown = await run(page.wait_media, voice, {"kind": "voice", "duration": "1:15"})
    assert shown["player"]["label"] == "Голосовое сообщение, 1:15"
    shown = await run(page.wait_media, doc, {"kind": "document"})
    assert shown["doc"] == {"name": "счёт.pdf", "meta": "PDF · 47 КБ", "label": "Скачать: "}
    await run(page.wait_media, lost, {"status": "unavailable", "retry": True})
    text = await run(page.text_of, f'[data-message-id="{lost}"] [data-testid=media-unavailable]')
    assert text.split("\n")[:2] == ["Видео", "Файл недоступен"]

    await run(page.record_uploads)
    await run(page.drop_file, "пусто.txt", "text/plain", 0)
    chip = await run(page.wait_chip, {"shown": True, "refused": True})
    assert (chip["error"], chip["meta"]) == ("Файл пустой.", "Документ · 0 Б")
    await run(page.send_attachment)
    assert await run(page.uploads) == []
    await run(page.settle)
    assert await run(page.axe) == []
    assert await run(page.overflow_px) == 0
    assert await run(page.console_errors) == []
