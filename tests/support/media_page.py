"""The dashboard's media in a real browser: a message's file as the conversation shows it, the
photo viewer, and the reply box's attachment (picker, drop, chip, progress, cancel), plus a
recorder of the uploads the page makes. Blocking: call through ``asyncio.to_thread``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from tests.support.dashboard import Dashboard

# one bubble's media as data: its kind and status, the elements shown, where the picture comes from
_MEDIA = """
const li = document.querySelector(`[data-testid=message][data-message-id="${arguments[0]}"]`);
if (!li) return null;
const holder = li.querySelector("[data-testid=message-media]");
const body = li.querySelector("[data-testid=message-body]");
const one = (id) => holder.querySelector(`[data-testid=${id}]`);
const source = (el) => {
  const src = el && (el.getAttribute("src") || el.getAttribute("poster") || "");
  if (!src) return "";
  if (src.startsWith("data:")) return "thumbnail";
  return src.includes("sig=") ? "signed" : src;
};
const ids = [...holder.querySelectorAll("[data-testid]")].map((el) => el.dataset.testid);
const img = one("media-img") || one("media-sticker");
const player = one("media-video") || one("media-audio");
return {
  kind: holder.dataset.kind || "", status: holder.dataset.status || "", hidden: holder.hidden,
  elements: ids, caption: body.hidden ? null : body.textContent,
  image: img ? { source: source(img), loaded: img.dataset.loaded || "" } : null,
  player: player ? { source: player.getAttribute("src") ? source(player) : "",
    poster: player.getAttribute("poster") ? "thumbnail" : "",
    label: player.getAttribute("aria-label"),
    loaded: player.dataset.loaded || "" } : null,
  duration: one("media-duration") ? one("media-duration").textContent : null,
  doc: one("media-doc") ? { name: one("media-doc-name").textContent,
    meta: one("media-doc-meta").textContent,
    label: one("media-doc").querySelector(".sr-only").textContent } : null,
  retry: one("media-retry") ? !one("media-retry").disabled : null,
};
"""

_VIEWER = """
const d = document.querySelector("[data-testid=viewer]");
if (!d) return { open: false };
const img = d.querySelector("[data-testid=viewer-img]");
const src = img.getAttribute("src") || "";
const a = document.activeElement;
return {
  open: d.open, modal: d.matches(":modal"),
  title: d.querySelector("h2").textContent,
  caption: d.querySelector("[data-testid=viewer-caption]").textContent,
  image: src.startsWith("data:") ? "thumbnail" : src.includes("sig=") ? "signed" : src,
  download: !d.querySelector("[data-testid=viewer-download]").hidden,
  focus: d.contains(a) ? a.dataset.testid || a.tagName : "outside",
};
"""

_CHIP = """
const p = document.querySelector("[data-testid=attach-chip]");
const text = (id) => p.querySelector(`[data-testid=${id}]`).textContent;
const error = p.querySelector("[data-testid=attach-error]");
const note = p.querySelector("[data-testid=attach-note]");
return {
  shown: !p.hidden, name: text("attach-name"), meta: text("attach-meta"),
  note: note.hidden ? "" : note.textContent, error: error.hidden ? "" : error.textContent,
  refused: p.dataset.refused === "true", sending: p.dataset.sending === "true",
  progress: Number(p.querySelector("[data-testid=attach-progress]").value),
  status: text("attach-status"),
  caption: p.querySelector("[data-testid=attach-caption]").value,
  composeShown: !document.querySelector("#compose").hidden,
};
"""

# every XMLHttpRequest the page sends from now on: method, path, headers named, FormData fields
_RECORD = """
if (window.__uploads) return;
window.__uploads = [];
const open = XMLHttpRequest.prototype.open;
const send = XMLHttpRequest.prototype.send;
const header = XMLHttpRequest.prototype.setRequestHeader;
XMLHttpRequest.prototype.open = function (method, url) {
  this.__rec = { method, url, headers: [], fields: {} };
  return open.apply(this, arguments);
};
XMLHttpRequest.prototype.setRequestHeader = function (name) {
  this.__rec.headers.push(name.toLowerCase());
  return header.apply(this, arguments);
};
XMLHttpRequest.prototype.send = function (body) {
  const rec = this.__rec;
  if (body instanceof FormData)
    for (const [k, v] of body.entries())
      rec.fields[k] = v instanceof File ? { file: v.name, size: v.size, type: v.type } : v;
  this.addEventListener("loadend", () => { rec.status = this.status; });
  window.__uploads.push(rec);
  return send.apply(this, arguments);
};
"""

# a file dropped on the conversation, as a person drags one from their desktop
_DROP = """
const [name, type, size] = arguments;
const file = new File([new Uint8Array(size)], name, { type });
const dt = new DataTransfer();
dt.items.add(file);
const target = document.querySelector("[data-testid=scroller]") ||
  document.querySelector("[data-testid=conversation]");
for (const kind of ["dragenter", "dragover"])
  target.dispatchEvent(new DragEvent(kind, { bubbles: true, cancelable: true, dataTransfer: dt }));
const hint = !document.querySelector("[data-testid=drop-zone]").hidden;
target.dispatchEvent(new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt }));
return hint;
"""


# an image pasted into the reply box (a screenshot from the clipboard)
_PASTE = """
const [name, type, size] = arguments;
const dt = new DataTransfer();
dt.items.add(new File([new Uint8Array(size)], name, { type }));
const box = document.querySelector("#compose");
box.focus();
const paste = { bubbles: true, cancelable: true, clipboardData: dt };
box.dispatchEvent(new ClipboardEvent("paste", paste));
"""


class MediaPage(Dashboard):
    """The conversation's media and attachments. Methods return data; tests assert."""

    # --- a message's file ----------------------------------------------------------------

    def media(self, message_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.driver.execute_script(_MEDIA, message_id)
        return found

    def wait_media(self, message_id: str, expected: dict[str, Any]) -> dict[str, Any]:
        """Wait until the message's media has every ``expected`` value (top-level keys, or
        ``image_loaded``/``player_loaded`` for the nested flags)."""

        def matches(found: dict[str, Any] | None) -> bool:
            if not found:
                return False
            for key, want in expected.items():
                part, _, sub = key.partition("_")
                have = (found.get(part) or {}).get(sub) if sub else found.get(key)
                if have != want:
                    return False
            return True

        self._wait().until(lambda d: matches(self.media(message_id)))
        found = self.media(message_id)
        assert found is not None
        return found

    def open_photo(self, message_id: str) -> None:
        self._click(f'[data-message-id="{message_id}"] [data-testid=media-open]')

    def retry_media(self, message_id: str) -> None:
        self._click(f'[data-message-id="{message_id}"] [data-testid=media-retry]')

    def scroll_to_media(self, message_id: str) -> None:
        self.driver.execute_script(
            'document.querySelector(`[data-message-id="${arguments[0]}"]`)'
            ".scrollIntoView({block: 'center'})",
            message_id,
        )

    def download_document(self, message_id: str) -> None:
        self._click(f'[data-message-id="{message_id}"] [data-testid=media-doc]')

    def wait_download(self, directory: Path, name: str) -> bytes:
        """The bytes of a finished download (Chromium writes ``name.crdownload`` meanwhile)."""
        path = directory / name
        self._wait().until(lambda d: path.is_file() and not list(directory.glob("*.crdownload")))
        return path.read_bytes()

    def allow_downloads(self, directory: str) -> None:
        params = {"behavior": "allow", "downloadPath": directory}
        self.driver.execute_cdp_cmd("Page.setDownloadBehavior", params)

    # --- the viewer ----------------------------------------------------------------------

    def viewer(self) -> dict[str, Any]:
        found: dict[str, Any] = self.driver.execute_script(_VIEWER)
        return found

    def wait_viewer(self, expected: dict[str, Any]) -> dict[str, Any]:
        self._wait().until(lambda d: all(self.viewer().get(k) == v for k, v in expected.items()))
        return self.viewer()

    def focused_testid(self) -> str:
        script = "const a = document.activeElement; return a.dataset.testid || a.id || a.tagName"
        return str(self.driver.execute_script(script))

    # --- attachments ---------------------------------------------------------------------

    def record_uploads(self) -> None:
        self.driver.execute_script(_RECORD)

    def uploads(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.driver.execute_script("return window.__uploads || []")
        return found

    def wait_uploads_done(self, count: int) -> list[dict[str, Any]]:
        def done(d: Any) -> bool:
            ups = self.uploads()
            return len(ups) == count and all("status" in u for u in ups)

        self._wait().until(done)
        return self.uploads()

    def attach_path(self, path: str) -> None:
        """Pick a file with the attach button's file chooser (the input it opens)."""
        self._find("[data-testid=attach]")
        self.driver.find_element(By.CSS_SELECTOR, "[data-testid=attach-input]").send_keys(path)

    def drop_file(self, name: str, mime: str, size: int) -> bool:
        """Drop a file of ``size`` bytes on the conversation; whether the drop hint showed."""
        return bool(self.driver.execute_script(_DROP, name, mime, size))

    def paste_file(self, name: str, mime: str, size: int) -> None:
        self.driver.execute_script(_PASTE, name, mime, size)

    def chip(self) -> dict[str, Any]:
        found: dict[str, Any] = self.driver.execute_script(_CHIP)
        return found

    def wait_chip(self, expected: dict[str, Any]) -> dict[str, Any]:
        self._wait().until(lambda d: all(self.chip().get(k) == v for k, v in expected.items()))
        return self.chip()

    def type_caption(self, text: str) -> None:
        field = self._visible("[data-testid=attach-caption]")
        field.clear()
        field.send_keys(text)

    def send_attachment(self) -> None:
        self._click("[data-testid=send]")

    def cancel_upload(self) -> None:
        self._click("[data-testid=attach-cancel]")

    def remove_attachment(self) -> None:
        self._click("[data-testid=attach-remove]")

    def wait_progress_midway(self) -> int:
        """A progress value strictly between 0 and 100, as the bar showed it."""
        script = "return Number(document.querySelector('[data-testid=attach-progress]').value)"
        seen: list[int] = []

        def midway(d: Any) -> bool:
            value = int(self.driver.execute_script(script))
            seen.append(value)
            return 0 < value < 100

        self._wait().until(midway)
        return seen[-1]

    def throttle_upload(self, bytes_per_s: int) -> None:
        """Slow the browser's uploads (-1: back to normal)."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        conditions = {
            "offline": False, "latency": 0, "downloadThroughput": -1,
            "uploadThroughput": bytes_per_s,
        }  # fmt: skip
        self.driver.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
