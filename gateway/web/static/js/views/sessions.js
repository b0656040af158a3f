// Sessions list with live state; admins create sessions and open the QR modal ("Connect").
import { api } from "../api.js";
import { h, mount, srOnly, toast } from "../dom.js";
import { t } from "../i18n.js";
import { openQrModal } from "../qrmodal.js";
import { on } from "../socket.js";

export function stateBadge(state, reason) {
  // every worker busy (or on a draining host): say so, not just "idle"
  const waiting = state === "idle" && reason === "waiting_for_worker";
  return h(
    "span",
    {
      class: `badge state-${state}`,
      "data-testid": "session-state",
      "data-state": state,
      "data-reason": reason || "",
      title: reason || "",
    },
    t(waiting ? "state.waiting_for_worker" : `state.${state}`),
  );
}

function row(s, isAdmin) {
  return h(
    "tr",
    { "data-testid": "session-row", "data-session-id": s.id },
    h(
      "td",
      { class: "name-cell" },
      h("a", { href: `#/sessions/${s.id}`, "data-testid": "session-link" }, s.name),
      s.unreadChats > 0 &&
        h(
          "span",
          {
            class: "unread",
            "data-testid": "session-unread",
            "aria-label": t("chats.unreadChats", { n: s.unreadChats }),
          },
          s.unreadChats,
        ),
    ),
    h("td", { class: "state-cell" }, stateBadge(s.state, s.stateReason)),
    h("td", { "data-testid": "session-phone", "data-label": t("sessions.phone") }, s.phone ? `+${s.phone}` : "—"),
    h("td", { "data-label": t("sessions.account") }, s.displayName || "—"),
    h(
      "td",
      { class: "actions" },
      s.rights.canRead &&
        h("a", { href: `#/chats/${s.id}`, class: "button", "data-testid": "open-chats" }, t("sessions.chats")),
      isAdmin &&
        s.state !== "ready" &&
        h(
          "button",
          {
            type: "button",
            "data-action": "connect",
            "data-testid": "connect",
            onclick: () => openQrModal(s.id, s.name),
          },
          t("sessions.connect"),
        ),
    ),
  );
}

export default function sessions(root, { user }) {
  const isAdmin = user.role === "admin";
  const body = h("tbody", { id: "sessions-body" });
  const empty = h("p", { class: "muted", "data-testid": "sessions-empty", hidden: true }, t("sessions.empty"));
  let list = [];
  const render = () => {
    mount(
      body,
      list.map((s) => row(s, isAdmin)),
    );
    empty.hidden = list.length > 0;
  };
  const name = h("input", {
    id: "new-session-name",
    "data-testid": "new-session-name",
    placeholder: t("sessions.namePlaceholder"),
    "aria-label": t("sessions.namePlaceholder"),
    maxlength: 100,
  });
  const create = h(
    "form",
    { class: "inline", id: "new-session-form" },
    name,
    h(
      "button",
      { type: "submit", id: "new-session-create", "data-testid": "new-session-create" },
      t("sessions.create"),
    ),
  );
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const typed = name.value.trim(); // none: the server names it "Session N"
      const out = await api("POST", "/whatsapp/sessions", typed ? { name: typed } : {});
      name.value = "";
      list.push(out.session);
      render();
      openQrModal(out.session.id, out.session.name);
    } catch (err) {
      toast(err.message, "error");
    }
  });
  mount(
    root,
    h(
      "section",
      { class: "card" },
      h("h1", {}, t("sessions.title")),
      isAdmin && create,
      h(
        "table",
        { "data-testid": "sessions-table", class: "cards" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["sessions.name", "sessions.state", "sessions.phone", "sessions.account", ""].map((k) =>
              h("th", {}, k ? t(k) : srOnly(t("common.actions"))),
            ),
          ),
        ),
        body,
      ),
      empty,
    ),
  );
  const load = () =>
    api("GET", "/whatsapp/sessions")
      .then((d) => {
        list = d.sessions;
        render();
      })
      .catch((e) => toast(e.message, "error"));
  load();
  const patch = (id, fields) => {
    const s = list.find((x) => x.id === id);
    if (s) {
      Object.assign(s, fields);
      render();
    } else load(); // a newly granted session
  };
  let unreadTimer = 0;
  const recount = () => {
    clearTimeout(unreadTimer);
    unreadTimer = setTimeout(load, 1000); // unread counts: once after a burst of events
  };
  const offs = [
    on("whatsapp:state", (d) => patch(d.sessionId, { state: d.state, stateReason: d.reason, stateDetail: d.detail })),
    on("whatsapp:ready", (d) =>
      patch(d.sessionId, { state: "ready", phone: d.phoneNumber, displayName: d.displayName }),
    ),
    on("whatsapp:chat_updated", recount),
    on("socket:resync", load),
  ];
  return () => {
    clearTimeout(unreadTimer);
    offs.forEach((off) => off());
  };
}
