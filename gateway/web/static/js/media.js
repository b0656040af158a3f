// A message's media inside its bubble, by kind and status: a photo (thumbnail first, the file once
// on screen, a click opens the viewer), a sticker, a video or audio player (voice notes with their
// length), a document to download (name and size); "pending", "unavailable" with Retry, "expired".
// Files load through signed links (medialink.js) only when their bubble comes near the screen.
import { api } from "./api.js";
import { h, srOnly, toast } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { baseMime, duration, humanSize, kindLabel } from "./mediainfo.js";
import { forgetLink, mediaLink } from "./medialink.js";
import { openViewer } from "./viewer.js";

const NEAR_PX = 300;
const watched = new WeakMap(); // element -> what to do once it is near the screen
let observer = null;

function whenNear(el, fn) {
  if (!("IntersectionObserver" in window)) return fn();
  if (!observer) {
    observer = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (!entry.isIntersecting) continue;
          observer.unobserve(entry.target);
          const run = watched.get(entry.target);
          watched.delete(entry.target);
          if (run && entry.target.isConnected) run();
        }
      },
      { rootMargin: `${NEAR_PX}px 0px` },
    );
  }
  watched.set(el, fn);
  observer.observe(el);
}

function unwatch(el) {
  watched.delete(el);
  if (observer) observer.unobserve(el);
}

/** The block's identity: it is built again only when one of these changes. */
function signature(media, retrying) {
  return `${media.kind}|${media.status}|${media.url}|${retrying ? "r" : ""}`;
}

/** "PDF · 1.2 MB" */
function docMeta(media) {
  const ext = (media.fileName || "").includes(".")
    ? media.fileName.split(".").pop()
    : baseMime(media.mime).split("/")[1];
  return [String(ext).slice(0, 8).toUpperCase(), humanSize(media.size)].filter(Boolean).join(" · ");
}

function fileName(media) {
  return media.fileName || kindLabel(media.kind);
}

function sizeBox(media, cls) {
  const style = media.width && media.height ? `aspect-ratio: ${media.width} / ${media.height}` : undefined;
  return h("div", { class: cls, style });
}

/** Load the file into an <img> once near the screen; the thumbnail stays until it has loaded. */
function loadImage(img, sessionId, m) {
  whenNear(img, async () => {
    try {
      const url = await mediaLink(sessionId, m.id);
      await new Promise((resolve, reject) => {
        const probe = new Image();
        probe.onload = resolve;
        probe.onerror = reject;
        probe.src = url;
      });
      img.src = url;
      img.dataset.loaded = "true";
    } catch {
      img.dataset.loaded = "error"; // the thumbnail (or the empty box) stays
    }
  });
}

/** A player's source once near the screen; a link that ran out is asked for again, once. */
function loadPlayer(player, sessionId, m) {
  let renewed = false;
  player.addEventListener("playing", () => {
    renewed = false; // a later pause past the link's end may renew it again
  });
  player.addEventListener("error", async () => {
    if (renewed || !player.getAttribute("src")) return;
    renewed = true;
    const at = player.currentTime;
    try {
      player.src = await mediaLink(sessionId, m.id, { fresh: true });
      player.currentTime = at;
      // with preload="none" nothing loads before a person plays or seeks: they meant to listen
      player.play().catch(() => {});
    } catch {
      player.dataset.loaded = "error";
    }
  });
  whenNear(player, async () => {
    try {
      player.src = await mediaLink(sessionId, m.id);
      player.dataset.loaded = "true";
    } catch {
      player.dataset.loaded = "error";
    }
  });
}

function photo(m, sessionId) {
  const media = m.media;
  const img = h("img", {
    class: "media-img",
    "data-testid": "media-img",
    alt: "",
    src: media.thumbnail || undefined,
    width: media.width || undefined,
    height: media.height || undefined,
    decoding: "async",
  });
  loadImage(img, sessionId, m);
  const open = () =>
    openViewer({
      title: kindLabel(media.kind),
      alt: m.body || kindLabel(media.kind),
      caption: m.body,
      fileName: media.fileName,
      thumbnail: media.thumbnail,
      load: () => mediaLink(sessionId, m.id),
    });
  const box = sizeBox(media, "media-photo");
  box.append(
    h(
      "button",
      {
        type: "button",
        class: "media-open",
        "data-testid": "media-open",
        "aria-label": t("media.open"),
        onclick: open,
      },
      img,
    ),
  );
  return box;
}

function sticker(m, sessionId) {
  const img = h("img", {
    class: "media-sticker",
    "data-testid": "media-sticker",
    alt: t("media.kind.sticker"),
    src: m.media.thumbnail || undefined,
    width: 128,
    height: 128,
  });
  loadImage(img, sessionId, m);
  return img;
}

function video(m, sessionId) {
  const media = m.media;
  const length = duration(media.durationS);
  const label = length ? `${kindLabel("video")}, ${length}` : kindLabel("video");
  const player = h("video", {
    class: "media-video",
    "data-testid": "media-video",
    controls: true,
    preload: "none",
    playsinline: true,
    poster: media.thumbnail || undefined,
    width: media.width || undefined,
    height: media.height || undefined,
    "aria-label": label,
  });
  loadPlayer(player, sessionId, m);
  return h("div", { class: "media-video-box" }, player, length ? h("span", { class: "media-length" }, length) : null);
}

function audio(m, sessionId) {
  const media = m.media;
  const length = duration(media.durationS);
  const what = kindLabel(media.kind);
  const player = h("audio", {
    class: "media-audio-player",
    "data-testid": "media-audio",
    controls: true,
    preload: "none",
    "aria-label": length ? `${what}, ${length}` : what,
  });
  loadPlayer(player, sessionId, m);
  return h(
    "div",
    { class: `media-audio media-${media.kind}` },
    h(
      "span",
      { class: "media-audio-label", "data-testid": "media-audio-label" },
      icon(media.kind === "voice" ? "mic" : "audio"),
      h("span", {}, media.kind === "voice" ? what : fileName(media)),
      length ? h("span", { class: "media-length", "data-testid": "media-duration" }, length) : null,
    ),
    player,
  );
}

function documentLink(m, sessionId) {
  const media = m.media;
  const link = h(
    "a",
    {
      class: "media-doc",
      "data-testid": "media-doc",
      href: media.url,
      download: media.fileName || "",
    },
    icon("file"),
    srOnly(`${t("media.download")}: `), // the name read out is what is shown, after the action
    h(
      "span",
      { class: "media-doc-text" },
      h("span", { class: "media-doc-name", "data-testid": "media-doc-name" }, fileName(media)),
      h("span", { class: "media-doc-meta", "data-testid": "media-doc-meta" }, docMeta(media)),
    ),
    icon("download"),
  );
  // the plain URL needs the bearer token: the browser downloads from a signed link instead
  link.addEventListener("click", async (e) => {
    e.preventDefault();
    try {
      const url = await mediaLink(sessionId, m.id);
      const a = h("a", { href: url, download: media.fileName || "", hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  return link;
}

/** A line for a file that is not here (yet): what it was, and why it is missing. */
function missing(m, state, extra = null) {
  const media = m.media;
  const what = media.kind === "document" ? `${fileName(media)} · ${docMeta(media)}` : kindLabel(media.kind);
  const thumb = media.thumbnail
    ? h("img", { class: "media-missing-thumb", src: media.thumbnail, alt: "", width: 48, height: 48 })
    : icon(media.kind === "document" ? "file" : "image");
  return h(
    "div",
    { class: `media-missing media-${state}`, "data-testid": `media-${state}` },
    thumb,
    h(
      "span",
      { class: "media-missing-text" },
      h("span", { class: "media-what" }, what),
      h("span", {}, t(`media.${state}`)),
    ),
    extra,
  );
}

function retryButton(m, sessionId, again) {
  const button = h(
    "button",
    { type: "button", class: "link media-retry", "data-testid": "media-retry" },
    icon("retry"),
    t("chat.retry"),
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", `/whatsapp/sessions/${sessionId}/messages/${m.id}/media/retry`);
      again(); // "pending" until whatsapp:message_media says how it went
    } catch (err) {
      button.disabled = false;
      toast(err.message, "error");
    }
  });
  return button;
}

function build(m, sessionId, again) {
  const media = m.media;
  if (media.status === "pending") return missing(m, "pending");
  if (media.status === "expired") return missing(m, "expired");
  if (media.status === "unavailable") return missing(m, "unavailable", retryButton(m, sessionId, again));
  if (media.kind === "image") return photo(m, sessionId);
  if (media.kind === "sticker") return sticker(m, sessionId);
  if (media.kind === "video") return video(m, sessionId);
  if (media.kind === "audio" || media.kind === "voice") return audio(m, sessionId);
  return documentLink(m, sessionId);
}

/**
 * Bring a bubble's media holder up to date with `m.media` (built again only when its kind, status
 * or file changed, so a tick or a new message never reloads a picture).
 * @param {HTMLElement} holder
 * @param {object} m  the message (m.media set)
 * @param {string} sessionId
 */
export function renderMedia(holder, m, sessionId) {
  const media = m.media;
  const retrying = holder.dataset.retrying === media.url && media.status === "unavailable";
  const sig = signature(media, retrying);
  if (holder.dataset.sig === sig) return;
  if (holder.dataset.sig && media.status === "ready") forgetLink(m.id); // a new file behind it
  holder.dataset.sig = sig;
  holder.dataset.kind = media.kind;
  holder.dataset.status = retrying ? "pending" : media.status;
  const again = () => {
    holder.dataset.retrying = media.url;
    renderMedia(holder, m, sessionId);
  };
  holder.querySelectorAll("img, video, audio").forEach(unwatch); // the old file's, replaced
  holder.replaceChildren(retrying ? missing(m, "pending") : build(m, sessionId, again));
  if (media.status !== "unavailable") delete holder.dataset.retrying;
}
