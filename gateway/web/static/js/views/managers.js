// Company managers (admins): list, create, delete. Per-session rights live on each session page.
import { api } from "../api.js";
import { fmtTime, h, mount, srOnly, toast } from "../dom.js";
import { t } from "../i18n.js";

export default function managers(root) {
  const body = h("tbody");
  const load = async () => {
    try {
      const list = (await api("GET", "/managers")).managers;
      mount(
        body,
        list.map((m) =>
          h(
            "tr",
            { "data-testid": "manager-row", "data-manager-id": m.id },
            h("td", { class: "name-cell" }, m.displayName || m.email),
            h("td", { "data-label": t("login.email") }, m.email),
            h("td", { "data-label": t("managers.created") }, fmtTime(m.createdAt)),
            h(
              "td",
              {},
              h(
                "button",
                { type: "button", class: "danger", "data-testid": "manager-delete", onclick: () => remove(m) },
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
  const remove = async (m) => {
    if (!confirm(t("managers.confirmDelete", { email: m.email }))) return;
    try {
      await api("DELETE", `/managers/${m.id}`);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const field = (id, type, key) =>
    h("input", {
      id,
      "data-testid": id,
      type,
      placeholder: t(key),
      "aria-label": t(key),
      required: type !== "text",
      autocomplete: type === "password" ? "new-password" : "off",
    });
  const email = field("manager-email", "email", "login.email");
  const password = field("manager-password", "password", "login.password");
  const name = field("manager-name", "text", "managers.name");
  const form = h(
    "form",
    { class: "inline", id: "manager-form" },
    name,
    email,
    password,
    h("button", { type: "submit", "data-testid": "manager-create" }, t("managers.create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/managers", {
        email: email.value.trim(),
        password: password.value,
        displayName: name.value.trim(),
      });
      form.reset();
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  });
  mount(
    root,
    h(
      "section",
      { class: "card" },
      h("h1", {}, t("managers.title")),
      form,
      h("p", { class: "muted" }, t("managers.hint")),
      h(
        "table",
        { "data-testid": "managers-table", class: "cards" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["managers.name", "login.email", "managers.created", ""].map((k) =>
              h("th", {}, k ? t(k) : srOnly(t("common.actions"))),
            ),
          ),
        ),
        body,
      ),
    ),
  );
  load();
}
