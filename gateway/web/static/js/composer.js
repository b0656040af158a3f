// The reply box: Enter sends, Shift+Enter starts a new line, it grows with the text; "/" opens the
// company's quick replies (arrows choose, Enter or Tab inserts, Escape closes).
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { matching, quickReplies } from "./quickreplies.js";

const SLASH = /(^|\s)\/(\S*)$/; // "/word" right before the caret
const MAX_SHOWN = 8;
const MAX_ROWS_PX = 160;

/** @param {{onSend: (text: string) => void}} opts */
export function composer({ onSend }) {
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
  const form = h("form", { class: "composer", "data-testid": "composer" }, list, box, send, hint);
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
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
    box.focus();
  });

  return {
    root: form,
    box,
    /** Without the write right the box is shown but disabled, saying why. */
    setWritable(can) {
      box.disabled = send.disabled = !can;
      box.dataset.canWrite = String(can);
      if (!can) box.placeholder = t("chat.readOnly");
    },
    focus() {
      if (!box.disabled) box.focus({ preventScroll: true });
    },
  };
}
