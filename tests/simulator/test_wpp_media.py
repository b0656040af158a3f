"""Media in the simulator: a contact's files reach the stand-in with wa-js's fields and download
as Blobs (failures injected by the control API); files sent through ``sendFileMessage`` reach the
contact byte for byte; the page draws them as WhatsApp Web does (thumbnails, blob: URLs, the voice
note's duration, the document's name, type and size, the caption under the file)."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from simulator.media import FIXTURE_FILES, FIXTURES, fixture_bytes
from simulator.models import MediaType
from tests.simulator.conftest import DriverFactory
from tests.simulator.harness import PHONE, SimControl
from tests.simulator.waweb import WaWeb
from tests.simulator.wpp import Wpp

pytestmark = pytest.mark.e2e

BOB = "4915112345678"
BOB_JID = f"{BOB}@c.us"
KINDS: tuple[MediaType, ...] = ("image", "video", "audio", "ptt", "document", "sticker")
# the last message of a chat, with the media fields a worker reads
LAST = """WPP.chat.getMessages(arguments[0], {count: 1}).then((m) => m.map((x) => ({
  type: x.type, body: x.body, caption: x.caption, mimetype: x.mimetype, size: x.size,
  filename: x.filename, duration: x.duration, width: x.width, height: x.height,
  isMedia: x.isMedia, id: x.id._serialized})))"""
# downloadMedia -> the Blob's type and its bytes in base64
DOWNLOAD = """WPP.chat.downloadMedia(arguments[0]).then((blob) => new Promise((ok) => {
  const reader = new FileReader();
  reader.onload = () => ok({type: blob.type, data: String(reader.result).split(',')[1]});
  reader.readAsDataURL(blob);
}))"""
SEND_FILE = "WPP.chat.sendFileMessage(arguments[0], arguments[1], arguments[2])"


def _inbound_media(sim: SimControl, kind: str, **extra: Any) -> Any:
    return sim.post(f"/_sim/accounts/{PHONE}/inbound-media", {"from": BOB, "kind": kind, **extra})


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_each_kind_arrives_with_wa_js_fields_and_downloads_as_a_blob(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    for kind in KINDS:
        sent = _inbound_media(sim, kind, caption=f"a {kind}", name="Bob")
        event = wpp.wait_event("chat.new_message")
        assert (event["type"], event["id"]["id"]) == (kind, sent["id"])
        [msg] = wpp.call(LAST, BOB_JID)
        spec = FIXTURE_FILES[kind]
        data = fixture_bytes(kind)
        assert msg["isMedia"] is True
        assert (msg["mimetype"], msg["size"], msg["caption"]) == (spec.mime, len(data), f"a {kind}")
        assert msg["duration"] == spec.duration
        if kind in ("image", "video"):  # body: the base64 JPEG thumbnail
            assert base64.b64decode(msg["body"])[:2] == b"\xff\xd8"
            assert msg["width"] and msg["height"]
        else:
            assert msg["body"] == ""
        assert msg["filename"] == ("invoice.pdf" if kind == "document" else None)
        got = wpp.call(DOWNLOAD, msg["id"])
        assert got["type"] == spec.mime.split(";")[0]
        assert _sha(base64.b64decode(got["data"])) == _sha(data) == sent["media"]["sha256"]


def test_a_download_fails_as_often_as_asked_then_succeeds(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp
) -> None:
    sent = _inbound_media(sim, "image", failDownloads=2)
    wpp.wait_event("chat.new_message")
    [msg] = wpp.call(LAST, BOB_JID)
    for _ in range(2):
        assert wpp.call(DOWNLOAD, msg["id"])["error"]["code"] == "media_download_failed"
    assert wpp.call(DOWNLOAD, msg["id"])["data"]
    media = sim.post(f"/_sim/accounts/{PHONE}/messages/{sent['messageId']}/media-failures",
                     {"count": 1})  # fmt: skip
    assert media["failuresLeft"] == 1
    assert wpp.call(DOWNLOAD, msg["id"])["error"]["code"] == "media_download_failed"


@pytest.mark.parametrize(
    ("options", "kind"),
    [
        ({"type": "image", "caption": "look"}, "image"),
        ({"type": "audio", "isPtt": True}, "ptt"),
        ({"type": "document", "filename": "invoice.pdf", "caption": "the bill"}, "document"),
        ({"type": "auto-detect"}, "video"),
    ],
)
def test_send_file_message_reaches_the_contact_byte_for_byte(
    sim: SimControl, wpp_linked: WaWeb, wpp: Wpp, options: dict[str, Any], kind: MediaType
) -> None:
    data = fixture_bytes(kind)
    mime = FIXTURE_FILES[kind].mime.split(";")[0]
    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    result = wpp.call(SEND_FILE, BOB_JID, url, options)
    assert result["ack"] == 1 and result["id"].startswith(f"true_{BOB_JID}_")
    [out] = sim.sent()
    assert out["to"] == BOB and out["text"] == options.get("caption", "")
    assert out["media"]["kind"] == kind and out["media"]["sha256"] == _sha(data)
    assert out["media"]["fileName"] == options.get("filename")
    path = f"/_sim/accounts/{PHONE}/messages/{out['messageId']}/media"
    with urllib.request.urlopen(sim.base_url + path, timeout=10) as resp:
        assert resp.read() == data


def test_the_page_draws_media_as_whatsapp_web_does(sim: SimControl, linked: WaWeb) -> None:
    for kind in KINDS:
        _inbound_media(sim, kind, caption="see this" if kind == "image" else "", name="Bob")
    linked.open_chat("Bob")
    driver = linked.driver

    def blob_urls() -> list[str]:
        found: list[str] = driver.execute_script(
            "return [...document.querySelectorAll('#main img, #main video, #main audio, #main a')]"
            ".map((e) => e.src || e.href).filter((u) => u && u.startsWith('blob:'))"
        )
        return found

    sim.eventually(lambda: len(blob_urls()) == len(KINDS))
    main = driver.find_element(By.ID, "main")
    assert main.find_element(By.CSS_SELECTOR, '[aria-label="Open picture"] img')
    caption = main.find_element(By.CSS_SELECTOR, '[aria-label="Open picture"] ~ div span span')
    assert caption.text == "see this"
    video = main.find_element(By.CSS_SELECTOR, '[aria-label="Play video"] video')
    assert str(video.get_attribute("poster")).startswith("data:image/jpeg;base64,")
    voice = main.find_element(By.CSS_SELECTOR, ".media-ptt")
    assert voice.find_element(By.CSS_SELECTOR, 'button[aria-label="Play voice message"]')
    assert voice.find_element(By.CSS_SELECTOR, '[data-testid="media-duration"]').text == "0:02"
    doc = main.find_element(By.CSS_SELECTOR, ".media-document")
    assert doc.find_element(By.CSS_SELECTOR, '[data-icon="document-PDF-icon"]')
    assert doc.find_element(By.CSS_SELECTOR, ".doc-name").get_attribute("title") == "invoice.pdf"
    assert doc.find_element(By.CSS_SELECTOR, ".doc-meta").text == "PDF • 584 B"


def test_the_phone_page_and_the_computer_exchange_files(
    sim: SimControl, linked: WaWeb, make_driver: DriverFactory
) -> None:
    phone = WaWeb(make_driver(), sim.base_url)
    phone.open("/_sim/phone")
    contact = phone.find('[data-testid="inbound-form"]')
    contact.find_element(By.NAME, "from").send_keys(BOB)
    contact.find_element(By.NAME, "name").send_keys("Bob")
    form = phone.find('[data-testid="inbound-media-form"]')
    Select(form.find_element(By.NAME, "kind")).select_by_value("ptt")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    linked.open_chat("Bob")
    voice = linked.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#main .media-ptt audio"))[0]
    linked.wait(lambda d: str(voice.get_attribute("src")).startswith("blob:"))

    driver = linked.driver  # the computer sends a document with a caption through Attach
    driver.find_element(By.CSS_SELECTOR, 'footer [aria-label="Attach"]').click()
    picker = driver.find_element(By.CSS_SELECTOR, 'li[aria-label="Document"] input[type=file]')
    picker.send_keys(str(FIXTURES / "invoice.pdf"))
    caption = linked.wait(
        lambda d: d.find_elements(By.CSS_SELECTOR, '[aria-label="Add a caption"]')
    )
    caption[0].send_keys("your invoice")
    driver.find_element(By.CSS_SELECTOR, '[data-testid="media-editor"] [aria-label="Send"]').click()
    sim.eventually(lambda: len(sim.sent()) == 1)
    [out] = sim.sent()
    assert (out["text"], out["media"]["kind"], out["media"]["fileName"]) == (
        "your invoice", "document", "invoice.pdf"
    )  # fmt: skip
    assert out["media"]["sha256"] == _sha(fixture_bytes("document"))
    phone.wait(
        lambda d: "📎 document invoice.pdf" in phone.text_of('[data-testid="phone-messages"]')
    )
