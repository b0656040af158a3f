// Manager access to one session: a row per company manager with canRead / canWrite / canManageChats.
import { api } from "../api.js";
import { h, mount, srOnly, toast } from "../dom.js";
import { t } from "../i18n.js";

const RIGHTS = ["canRead", "canWrite", "canManageChats"];

export default async function accessTable(root, sessionId) {
  let managers, grants;
  try {
    [managers, grants] = await Promise.all([
      api("GET", "/managers").then((d) => d.managers),
      api("GET", `/whatsapp/sessions/${sessionId}/access`).then((d) => d.access),
    ]);
  } catch (err) {
    mount(root, h("p", { class: "error" }, err.message));
    return;
  }
  if (!managers.length) {
    mount(root, h("p", { class: "muted" }, t("access.noManagers")));
    return;
  }
  const byId = new Map(grants.map((g) => [g.managerId, g]));
  const row = (m) => {
    const grant = byId.get(m.id);
    const who = m.displayName || m.email;
    const boxes = RIGHTS.map((right) =>
      h("input", {
        type: "checkbox",
        "data-right": right,
        checked: Boolean(grant && grant[right]),
        "aria-label": `${t(`access.${right}`)}: ${who}`,
      }),
    );
    const save = async () => {
      const [canRead, canWrite, canManageChats] = boxes.map((b) => b.checked);
      try {
        if (!canRead && !canWrite && !canManageChats) {
          await api("DELETE", `/whatsapp/sessions/${sessionId}/access/${m.id}`);
        } else {
          await api("POST", `/whatsapp/sessions/${sessionId}/access`, {
            managerId: m.id,
            canRead,
            canWrite,
            canManageChats,
          });
        }
        toast(t("access.saved"));
      } catch (err) {
        toast(err.message, "error");
      }
    };
    return h(
      "tr",
      { "data-testid": "access-row", "data-manager-id": m.id },
      h("td", { class: "name-cell" }, m.displayName || m.email, h("div", { class: "muted" }, m.email)),
      boxes.map((b, i) => h("td", { "data-label": t(`access.${RIGHTS[i]}`) }, b)),
      h("td", {}, h("button", { type: "button", "data-testid": "access-save", onclick: save }, t("common.save"))),
    );
  };
  mount(
    root,
    h(
      "table",
      { "data-testid": "access-table", class: "cards" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("access.manager")),
          RIGHTS.map((r) => h("th", {}, t(`access.${r}`))),
          h("th", {}, srOnly(t("common.actions"))),
        ),
      ),
      h("tbody", {}, managers.map(row)),
    ),
  );
}
