// API keys of the company (admins): create (the key is shown once; only its hash is kept), list
// with last use, revoke (at once; its sockets close).
import { api } from "../api.js";
import { fmtTime, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";

const SCOPES = ["read", "send", "manage"];

export default function apikeys(root) {
  const body = h("tbody");
  const note = h("div");
  const load = async () => {
    try {
      const keys = (await api("GET", "/api-keys")).apiKeys;
      mount(
        body,
        keys.map((k) =>
          h(
            "tr",
            { "data-testid": "apikey-row", "data-key-id": k.id, "data-revoked": String(Boolean(k.revokedAt)) },
            h("td", {}, k.name),
            h("td", {}, h("code", {}, `${k.prefix}…`)),
            h("td", {}, k.scopes.join(", ")),
            h(
              "td",
              {},
              k.sessionIds ? t("apikeys.someSessions", { n: k.sessionIds.length }) : t("apikeys.allSessions"),
            ),
            h("td", {}, fmtTime(k.lastUsedAt) || t("apikeys.never")),
            h(
              "td",
              {},
              k.revokedAt
                ? t("apikeys.revokedAt", { at: fmtTime(k.revokedAt) })
                : h(
                    "button",
                    { type: "button", class: "danger", "data-testid": "apikey-revoke", onclick: () => revoke(k) },
                    t("apikeys.revoke"),
                  ),
            ),
          ),
        ),
      );
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const revoke = async (k) => {
    if (!confirm(t("apikeys.confirmRevoke", { name: k.name }))) return;
    try {
      await api("DELETE", `/api-keys/${k.id}`);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const name = h("input", {
    type: "text",
    required: true,
    "data-testid": "apikey-name",
    placeholder: t("apikeys.name"),
  });
  const boxes = SCOPES.map((scope) =>
    h("input", { type: "checkbox", value: scope, checked: scope === "read", "data-scope": scope }),
  );
  const form = h(
    "form",
    { class: "inline", "data-testid": "apikey-form" },
    name,
    boxes.map((b) => h("label", { class: "inline" }, b, t(`apikeys.scope.${b.value}`))),
    h("button", { type: "submit", "data-testid": "apikey-create" }, t("apikeys.create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const made = await api("POST", "/api-keys", {
        name: name.value.trim(),
        scopes: boxes.filter((b) => b.checked).map((b) => b.value),
      });
      mount(
        note,
        h(
          "div",
          { class: "guidance", "data-testid": "apikey-note" },
          h("strong", {}, t("apikeys.keyOnce")),
          h("p", {}, h("code", { "data-testid": "apikey-key" }, made.key)),
        ),
      );
      name.value = "";
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
      h("h1", {}, t("apikeys.title")),
      form,
      h("p", { class: "muted" }, t("apikeys.hint")),
      note,
      h(
        "table",
        { "data-testid": "apikeys-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["apikeys.name", "apikeys.prefix", "apikeys.scopes", "apikeys.sessions", "apikeys.lastUsed", ""].map((k) =>
              h("th", {}, k && t(k)),
            ),
          ),
        ),
        body,
      ),
    ),
  );
  load();
}
