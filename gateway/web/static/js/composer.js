// The reply box: Enter sends, Shift+Enter starts a new line, it grows with the text; "/" opens the
// company's quick replies (arrows choose, Enter or Tab inserts, Escape closes). With an attachment
// (attach.js: the paperclip, a pasted file) the box gives way to the file's chip and its caption.
import { attachment } from "./attach.js";
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { matching, quickReplies } from "./quickreplies.js";

const SLASH = /(^|\s)\/(\S*)$/; // "/word" right before the caret
const MAX_SHOWN = 8;
const MAX_ROWS_PX = 160;

/**
 * @param {{onSend: (text: string) => void, sendFile: Function, maxBytes: () => number}} opts
 *   sendFile: as attach.js's `send` (upload one file with its caption)
 */
export function composer({ onSend, sendFile, maxBytes }) {
  const box = h("textarea", {
    id: "compose",
    "data-testid": "compose",
    rows: 1,
    maxlength: 4096,
    placeholder: t("chat.placeholder"),
    "aria-label": t("chat.message"),
    "aria-describedby": "compose-hint",
    "aria-autocomplete": "list",
    "aria-controls": "quick-list",
    enterkeyhint: "send",
  });
  const send = h(
    "button",
    { type: "submit", id: "send", class: "send icon-button", "data-testid": "send", "aria-label": t("chat.send") },
    icon("send"),
  );
  const hint = h("p", { id: "compose-hint", class: "sr-only" }, t("chat.hint"));
  const list = h("ul", {
    id: "quick-list",
    class: "quick-list",
    role: "listbox",
    "aria-label": t("quick.title"),
    "data-testid": "quick-list",
    hidden: true,
  });
  const attach = attachment({
    send: sendFile,
    maxBytes,
    onFile: (file) => attachFile(file),
    onChange: (staged, caption) => {
      form.dataset.attaching = String(staged);
      box.hidden = staged;
      if (!staged && caption && !box.value) {
        box.value = caption; // removed unsent: its caption goes back to the box
        grow();
      }
      if (!staged) box.focus({ preventScroll: true });
    },
  });
  const form = h(
    "form",
    { class: "composer", "data-testid": "composer", "data-attaching": "false" },
    list,
    attach.input,
    attach.button,
    box,
    attach.panel,
    send,
    hint,
  );
  let shown = []; // replies in the list
  let active = -1;

  const grow = () => {
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight, MAX_ROWS_PX)}px`;
  };
  const close = () => {
    list.hidden = true;
    shown = [];
    active = -1;
    box.removeAttribute("aria-activedescendant");
  };
  const highlight = (i) => {
    active = i;
    for (const [j, li] of [...list.children].entries()) li.setAttribute("aria-selected", String(j === i));
    if (i >= 0) {
      box.setAttribute("aria-activedescendant", `quick-${i}`);
      list.children[i].scrollIntoView({ block: "nearest" });
    }
  };
  const insert = (reply) => {
    const caret = box.selectionStart;
    const before = box.value.slice(0, caret).replace(SLASH, (all, space) => space + reply.body);
    box.value = before + box.value.slice(caret);
    box.setSelectionRange(before.length, before.length);
    close();
    grow();
    box.focus();
  };
  const suggest = async () => {
    const typed = box.value.slice(0, box.selectionStart).match(SLASH);
    if (!typed) return close();
    let replies;
    try {
      replies = matching(await quickReplies(), typed[2]).slice(0, MAX_SHOWN);
    } catch {
      return close();
    }
    shown = replies;
    list.replaceChildren(
      ...replies.map((r, i) =>
        h(
          "li",
          {
            id: `quick-${i}`,
            role: "option",
            "aria-selected": "false",
            "data-testid": "quick-option",
            "data-shortcut": r.shortcut,
            onmousedown: (e) => e.preventDefault(),
            onclick: () => insert(r),
          },
          h("strong", {}, `/${r.shortcut}`),
          h("span", {}, r.body),
        ),
      ),
    );
    if (!replies.length)
      list.append(h("li", { class: "muted", role: "option", "aria-disabled": "true" }, t("quick.none")));
    list.hidden = false;
    highlight(replies.length ? 0 : -1);
  };
  const submit = () => {
    if (attach.staged) {
      attach.submit();
      return;
    }
    const text = box.value.trim();
    if (!text || box.disabled) return;
    box.value = "";
    grow();
    close();
    onSend(text);
  };

  box.addEventListener("input", () => {
    grow();
    suggest();
  });
  box.addEventListener("keydown", (e) => {
    if (!list.hidden && shown.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + shown.length) % shown.length);
        return;
      }
      if ((e.key === "Enter" || e.key === "Tab") && !e.shiftKey && active >= 0) {
        e.preventDefault();
        insert(shown[active]);
        return;
      }
    }
    if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      close();
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  box.addEventListener("blur", () => setTimeout(close, 150));
  box.addEventListener("paste", (e) => {
    const file = e.clipboardData && [...e.clipboardData.files][0];
    if (!file || box.disabled) return;
    e.preventDefault(); // a pasted screenshot is sent as a photo, the typed text its caption
    attachFile(file);
  });
  /** Stage a file (picker, drop, paste); what is typed so far becomes its caption. */
  function attachFile(file) {
    if (box.disabled) return;
    const text = box.value;
    box.value = "";
    grow();
    close();
    attach.stage(file, text);
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
    if (!attach.staged) box.focus();
  });

  return {
    root: form,
    box,
    /** Without the write right the box is shown but disabled, saying why. */
    setWritable(can) {
      box.disabled = send.disabled = !can;
      attach.setEnabled(can);
      box.dataset.canWrite = String(can);
      if (!can) box.placeholder = t("chat.readOnly");
    },
    focus() {
      if (!box.disabled) box.focus({ preventScroll: true });
    },
    attachFile,
  };
}
