// The media viewer: a photo over the whole page in a modal <dialog> (the page behind is inert), the
// thumbnail first and the file once loaded, its caption and a download link. Esc, the close button
// or a click beside the photo close it; Tab stays inside; the focus goes back to what opened it.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";

let dialog = null;
let parts = null;
let opener = null;
let ticket = 0;

function focusables() {
  return [...dialog.querySelectorAll("button, a[href]")].filter((el) => !el.hidden);
}

function build() {
  const title = h("h2", { id: "viewer-title", class: "viewer-title" });
  const close = h(
    "button",
    {
      type: "button",
      class: "icon-button viewer-close",
      "data-testid": "viewer-close",
      "aria-label": t("common.close"),
    },
    icon("close"),
  );
  const download = h("a", {
    class: "button secondary viewer-download",
    "data-testid": "viewer-download",
    download: "",
  });
  const img = h("img", { class: "viewer-img", "data-testid": "viewer-img", alt: "" });
  const caption = h("figcaption", { class: "viewer-caption", "data-testid": "viewer-caption" });
  const status = h("p", { class: "viewer-status", role: "status", "data-testid": "viewer-status" });
  dialog = h(
    "dialog",
    { class: "viewer", "data-testid": "viewer", "aria-labelledby": "viewer-title" },
    h("div", { class: "viewer-bar" }, title, download, close),
    h("figure", { class: "viewer-figure" }, img, caption),
    status,
  );
  parts = { title, close, download, img, caption, status };
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog || e.target.classList.contains("viewer-figure")) dialog.close();
  });
  dialog.addEventListener("keydown", (e) => {
    if (e.key !== "Tab") return;
    const els = focusables();
    const i = els.indexOf(document.activeElement);
    const next = e.shiftKey ? (i <= 0 ? els.length - 1 : i - 1) : i === els.length - 1 ? 0 : i + 1;
    e.preventDefault();
    els[next].focus();
  });
  dialog.addEventListener("close", () => {
    ticket += 1;
    parts.img.removeAttribute("src");
    parts.download.removeAttribute("href");
    document.body.classList.remove("viewing");
    if (opener && opener.isConnected) opener.focus({ preventScroll: true });
    opener = null;
  });
  document.body.append(dialog);
}

/**
 * Show a photo. `load` gives the URL of the file (a signed link); until it has loaded the
 * thumbnail is shown.
 * @param {{title: string, alt: string, caption: string, fileName: string, thumbnail: string|null,
 *          load: () => Promise<string>}} photo
 */
export async function openViewer(photo) {
  if (!dialog) build();
  opener = document.activeElement;
  const mine = ++ticket;
  const { title, img, caption, download, status, close } = parts;
  title.textContent = photo.title;
  close.setAttribute("aria-label", t("common.close")); // the language may have changed since
  img.alt = photo.alt;
  caption.textContent = photo.caption || "";
  caption.hidden = !photo.caption;
  download.textContent = t("media.download");
  download.hidden = true;
  download.setAttribute("download", photo.fileName || "");
  status.textContent = t("media.loading");
  if (photo.thumbnail) img.src = photo.thumbnail;
  else img.removeAttribute("src");
  document.body.classList.add("viewing");
  dialog.showModal();
  close.focus();
  try {
    const url = await photo.load();
    if (mine !== ticket) return;
    await new Promise((resolve, reject) => {
      const full = new Image();
      full.onload = resolve;
      full.onerror = () => reject(new Error(t("media.unavailable")));
      full.src = url;
    });
    if (mine !== ticket) return;
    img.src = url;
    download.href = url;
    download.hidden = false;
    status.textContent = "";
  } catch (err) {
    if (mine === ticket) status.textContent = err.message || t("media.unavailable");
  }
}

/** Whether the viewer is open (tests, and views that must not steal its focus). */
export function viewerOpen() {
  return Boolean(dialog && dialog.open);
}
