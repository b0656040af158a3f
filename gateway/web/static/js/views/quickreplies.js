// Quick replies (admins): the company's canned answers that managers insert with "/" in a chat.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { forgetQuickReplies } from "../quickreplies.js";

export default function quickRepliesPage(root) {
  let editing = null; // the reply the form edits (null: a new one)
  const body = h("ul", { class: "replies", "data-testid": "quick-replies" });
  const shortcut = h("input", {
    id: "qr-shortcut",
    "data-testid": "qr-shortcut",
    required: true,
    maxlength: 32,
    pattern: "[^\\s/]+",
    autocomplete: "off",
  });
  const lang = h(
    "select",
    { id: "qr-lang", "data-testid": "qr-lang" },
    h("option", { value: "" }, t("quick.anyLang")),
    h("option", { value: "en", lang: "en" }, "English"),
    h("option", { value: "ru", lang: "ru" }, "Русский"),
  );
  const text = h("textarea", { id: "qr-body", "data-testid": "qr-body", required: true, maxlength: 4096, rows: 3 });
  const submit = h("button", { type: "submit", "data-testid": "qr-save" }, t("quick.add"));
  const cancel = h(
    "button",
    { type: "button", class: "secondary", "data-testid": "qr-cancel", hidden: true },
    t("common.cancel"),
  );
  const form = h(
    "form",
    { class: "stack", id: "qr-form", "data-testid": "qr-form" },
    h("label", { for: "qr-shortcut" }, t("quick.shortcut")),
    h("div", { class: "shortcut-field" }, h("span", { "aria-hidden": "true" }, "/"), shortcut),
    h("label", { for: "qr-lang" }, t("quick.lang")),
    lang,
    h("label", { for: "qr-body" }, t("quick.text")),
    text,
    h("div", { class: "toolbar" }, submit, cancel),
  );
  const reset = () => {
    editing = null;
    form.reset();
    submit.textContent = t("quick.add");
    cancel.hidden = true;
  };
  const edit = (r) => {
    editing = r;
    shortcut.value = r.shortcut;
    lang.value = r.lang || "";
    text.value = r.body;
    submit.textContent = t("common.save");
    cancel.hidden = false;
    shortcut.focus();
  };
  const load = async () => {
    try {
      const replies = (await api("GET", "/quick-replies")).quickReplies;
      mount(
        body,
        replies.map((r) =>
          h(
            "li",
            { "data-testid": "quick-reply", "data-id": r.id, "data-shortcut": r.shortcut },
            h(
              "div",
              { class: "reply-head" },
              h("strong", {}, `/${r.shortcut}`),
              r.lang && h("span", { class: "badge" }, r.lang.toUpperCase()),
            ),
            h("p", { class: "reply-body" }, r.body),
            h(
              "div",
              { class: "toolbar" },
              h(
                "button",
                {
                  type: "button",
                  class: "secondary",
                  "data-testid": "qr-edit",
                  "aria-label": t("quick.editNamed", { name: r.shortcut }),
                  onclick: () => edit(r),
                },
                t("quick.edit"),
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "danger",
                  "data-testid": "qr-delete",
                  "aria-label": t("quick.deleteNamed", { name: r.shortcut }),
                  onclick: () => remove(r),
                },
                t("common.delete"),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const remove = async (r) => {
    if (!confirm(t("quick.confirmDelete", { name: r.shortcut }))) return;
    try {
      await api("DELETE", `/quick-replies/${r.id}`);
      forgetQuickReplies();
      if (editing && editing.id === r.id) reset();
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { shortcut: shortcut.value.trim(), body: text.value, lang: lang.value || null };
    try {
      if (editing) await api("PATCH", `/quick-replies/${editing.id}`, payload);
      else await api("POST", "/quick-replies", payload);
      forgetQuickReplies();
      toast(t("quick.saved"));
      reset();
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  cancel.addEventListener("click", reset);
  mount(
    root,
    h("section", { class: "card" }, h("h1", {}, t("quick.title")), h("p", { class: "muted" }, t("quick.hint")), form),
    h("section", { class: "card" }, h("h2", {}, t("quick.list")), body),
  );
  load();
}
