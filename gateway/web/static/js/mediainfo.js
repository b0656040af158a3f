// What the dashboard knows about media files without the network: the kinds WhatsApp has and the
// types each accepts (the same table as shared/media/kinds.py: a test holds them equal), the kind a
// picked file goes out as, the checks before an upload, and human sizes, durations and labels.
import { locale, t } from "./i18n.js";

/** Largest file the server takes unless it says otherwise (APP_MEDIA_MAX_MB's default). */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
export const CAPTION_MAX = 1024;

// what WhatsApp accepts per kind (a document may be any type)
export const ACCEPTS = {
  image: ["image/jpeg", "image/png", "image/webp"],
  video: ["video/mp4", "video/3gpp"],
  audio: ["audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/opus"],
  voice: ["audio/ogg", "audio/opus"],
  sticker: ["image/webp"],
};

/** "audio/ogg; codecs=opus" -> "audio/ogg" */
export function baseMime(mime) {
  return String(mime || "")
    .split(";", 1)[0]
    .trim()
    .toLowerCase();
}

/** The kind a file of this type goes out as (the server picks the same when none is named). */
export function kindFor(mime) {
  const base = baseMime(mime);
  for (const kind of ["image", "video", "audio"]) if (ACCEPTS[kind].includes(base)) return kind;
  return "document";
}

/** A picked file before it is sent: its kind, and why it cannot go (null when it can). */
export function checkFile(file, maxBytes = DEFAULT_MAX_BYTES) {
  const mime = file.type || "application/octet-stream";
  const kind = kindFor(mime);
  let error = null;
  if (file.size === 0) error = t("media.empty");
  else if (file.size > maxBytes) error = t("media.tooBig", { size: humanSize(file.size), max: humanSize(maxBytes) });
  // a picture or a film WhatsApp would not show as one still goes, as a file: say so
  const major = baseMime(mime).split("/")[0];
  const asFile = kind === "document" && (major === "image" || major === "video");
  return { kind, mime, error, note: asFile ? t("media.asDocument") : "" };
}

/** 1536 -> "1.5 KB", in the UI's language. */
export function humanSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KB", "MB", "GB"];
  let n = bytes;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || n >= 10 ? 0 : 1;
  const num = n.toLocaleString(locale(), { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return `${num} ${t(`media.unit.${units[unit]}`)}`;
}

/** 67.4 -> "1:07" */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "Photo", "Voice message", ... */
export function kindLabel(kind) {
  return t(`media.kind.${kind}`);
}

/** A message as one line (notifications, search hits): its text, or what kind of file it is. */
export function messageLine(m) {
  if (!m.media) return m.body;
  const what = kindLabel(m.media.kind);
  return m.body ? `${what}: ${m.body}` : what;
}
