// The reply box's attachment: a file from the picker, a drop or a paste is checked here (size,
// type: what is refused says why), shown as a chip (preview, name, size, a caption field) and sent
// with a progress bar that can be cancelled; a failed upload keeps the file for another try with
// the same clientMessageId (while the caption stays the same), so a repeat never sends it twice.
import { clientMessageId } from "./api.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { CAPTION_MAX, checkFile, humanSize, kindLabel } from "./mediainfo.js";

/**
 * @param {{send: (file: File, caption: string, clientMessageId: string,
 *            onProgress: (sent: number, total: number) => void) => {done: Promise<any>, cancel: () => void},
 *          maxBytes: () => number, onChange: (staged: boolean, caption: string) => void,
 *          onFile: (file: File) => void}} opts
 *   onChange: a file was staged, or went (with the caption typed, when it was removed unsent)
 *   onFile: a file was picked (the owner stages it with what was typed so far)
 */
export function attachment({ send, maxBytes, onChange, onFile }) {
  let staged = null; // {file, kind, id, error, preview, tried: the caption last sent with id}
  let sending = null; // {cancel}

  const input = h("input", {
    type: "file",
    id: "attach-input",
    class: "sr-only",
    tabindex: -1,
    "aria-hidden": "true",
    "data-testid": "attach-input",
  });
  const button = h(
    "button",
    {
      type: "button",
      id: "attach",
      class: "attach icon-button",
      "data-testid": "attach",
      "aria-label": t("media.attach"),
      title: t("media.attach"),
    },
    icon("attach"),
  );
  const preview = h("div", { class: "attach-preview", "aria-hidden": "true" });
  const name = h("strong", { class: "attach-name", "data-testid": "attach-name" });
  const meta = h("span", { class: "attach-meta muted", "data-testid": "attach-meta" });
  const note = h("span", { class: "attach-note muted", "data-testid": "attach-note" });
  const remove = h(
    "button",
    {
      type: "button",
      class: "icon-button attach-remove",
      "data-testid": "attach-remove",
      "aria-label": t("media.remove"),
      title: t("media.remove"),
    },
    icon("close"),
  );
  const caption = h("input", {
    type: "text",
    id: "attach-caption",
    class: "attach-caption",
    "data-testid": "attach-caption",
    maxlength: CAPTION_MAX,
    placeholder: t("media.captionPlaceholder"),
    "aria-label": t("media.caption"),
    enterkeyhint: "send",
  });
  const bar = h("progress", {
    class: "attach-progress",
    "data-testid": "attach-progress",
    max: 100,
    value: 0,
    "aria-label": t("media.progress"),
  });
  const status = h("span", { class: "attach-status", role: "status", "data-testid": "attach-status" });
  const cancel = h(
    "button",
    { type: "button", class: "secondary attach-cancel", "data-testid": "attach-cancel" },
    t("media.cancelUpload"),
  );
  const error = h("p", { class: "error attach-error", role: "alert", "data-testid": "attach-error", hidden: true });
  const progressRow = h("div", { class: "attach-uploading", hidden: true }, bar, status, cancel);
  const panel = h(
    "div",
    {
      class: "attach-panel",
      "data-testid": "attach-chip",
      role: "group",
      "aria-label": t("media.attached"),
      hidden: true,
    },
    h("div", { class: "attach-head" }, preview, h("div", { class: "attach-text" }, name, meta, note), remove),
    caption,
    progressRow,
    error,
  );

  const showError = (text) => {
    error.textContent = text || "";
    error.hidden = !text;
  };
  const setSending = (on) => {
    progressRow.hidden = !on;
    caption.disabled = remove.disabled = button.disabled = on;
    panel.dataset.sending = String(on);
  };

  function clear({ keepCaption = false } = {}) {
    if (sending) sending.cancel();
    sending = null;
    if (staged && staged.preview) URL.revokeObjectURL(staged.preview);
    const text = keepCaption ? caption.value : "";
    staged = null;
    input.value = "";
    caption.value = "";
    preview.replaceChildren();
    showError("");
    setSending(false);
    panel.hidden = true;
    onChange(false, text);
  }

  /** Show a file in the chip (the one before it goes); `text` starts its caption. */
  function stage(file, text = "") {
    if (sending) return;
    if (staged) clear();
    const check = checkFile(file, maxBytes());
    staged = { file, kind: check.kind, id: clientMessageId(), error: check.error, preview: null };
    name.textContent = file.name || kindLabel(check.kind);
    meta.textContent = `${kindLabel(check.kind)} · ${humanSize(file.size)}`;
    note.textContent = check.note;
    note.hidden = !check.note;
    if (check.kind === "image" && !check.error) {
      staged.preview = URL.createObjectURL(file);
      preview.append(h("img", { src: staged.preview, alt: "", width: 48, height: 48 }));
    } else preview.append(icon(check.kind === "document" ? "file" : check.kind === "image" ? "image" : "audio"));
    caption.value = text.slice(0, CAPTION_MAX);
    panel.dataset.kind = check.kind;
    panel.dataset.refused = String(Boolean(check.error));
    showError(check.error);
    caption.hidden = Boolean(check.error);
    panel.hidden = false;
    onChange(true, "");
    (check.error ? remove : caption).focus({ preventScroll: true });
  }

  async function submit() {
    if (!staged || sending) return;
    if (staged.error) {
      showError(staged.error);
      return;
    }
    const text = caption.value.trim();
    // the same file and caption again: the same id (never sent twice); a new caption is a new
    // message (the server refuses an id reused for other content)
    if (staged.tried !== undefined && staged.tried !== text) staged.id = clientMessageId();
    staged.tried = text;
    const { file, id } = staged;
    showError("");
    bar.value = 0;
    status.textContent = t("media.uploading", { pct: 0 });
    setSending(true);
    let lastPct = -1;
    const job = send(file, text, id, (sent, total) => {
      const pct = Math.min(100, Math.floor((sent / total) * 100));
      bar.value = pct;
      // read out in steps of ten: every percent would flood a screen reader
      if (Math.floor(pct / 10) !== Math.floor(lastPct / 10)) status.textContent = t("media.uploading", { pct });
      lastPct = pct;
    });
    sending = job;
    try {
      await job.done;
      sending = null;
      clear();
    } catch (err) {
      if (sending !== job) return; // removed meanwhile
      sending = null;
      setSending(false);
      showError(err.message);
      caption.focus({ preventScroll: true });
    }
  }

  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    if (input.files && input.files[0]) onFile(input.files[0]);
  });
  remove.addEventListener("click", () => clear({ keepCaption: true }));
  cancel.addEventListener("click", () => {
    if (sending) sending.cancel(); // the upload's promise says "cancelled"; the file stays
  });
  caption.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && !sending) {
      e.preventDefault();
      clear({ keepCaption: true });
    }
  });

  return {
    button,
    input,
    panel,
    stage,
    submit,
    clear,
    get staged() {
      return Boolean(staged);
    },
    setEnabled(can) {
      button.disabled = !can;
      if (!can && staged) clear();
    },
  };
}
