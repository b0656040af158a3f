// One session: account, worker, state with reason/detail (and guidance when WhatsApp needs a
// person), page drift; admin commands and manager access.
import { api } from "../api.js";
import { fmtTime, h, mount, toast } from "../dom.js";
import { driftList } from "../drift.js";
import { guidance } from "../guidance.js";
import { t } from "../i18n.js";
import { openQrModal } from "../qrmodal.js";
import { on } from "../socket.js";
import { stateBadge } from "./sessions.js";
import accessTable from "./access.js";

const COMMANDS = ["start", "stop", "restart", "disconnect", "delete"];

function details(s) {
  const item = (key, value, testid) => [h("dt", {}, t(key)), h("dd", { "data-testid": testid }, value || "—")];
  return h(
    "dl",
    { class: "details", "data-testid": "session-details" },
    item("session.state", stateBadge(s.state, s.stateReason), "detail-state"),
    item("session.reason", s.stateReason, "detail-reason"),
    item("session.detail", s.stateDetail, "detail-detail"),
    item("session.phone", s.phone && `+${s.phone}`, "detail-phone"),
    item("session.account", s.displayName, "detail-name"),
    item("session.worker", s.workerId, "detail-worker"),
    item("session.desired", t(`desired.${s.desiredState}`), "detail-desired"),
    item("session.lastReady", fmtTime(s.lastReadyAt), "detail-last-ready"),
    item("session.drift", driftList(s.pageDrift), "detail-drift"),
  );
}

async function command(s, name) {
  if (["disconnect", "delete"].includes(name) && !confirm(t(`session.confirm.${name}`, { name: s.name }))) return;
  try {
    if (name === "delete") {
      await api("DELETE", `/whatsapp/sessions/${s.id}`);
      location.hash = "#/sessions";
      return;
    }
    await api("POST", `/whatsapp/sessions/${s.id}/${name}`);
    toast(t("session.done", { command: t(`session.cmd.${name}`) }));
  } catch (err) {
    toast(err.message, "error");
  }
}

export default function session(root, { params: [id], user }) {
  const isAdmin = user.role === "admin";
  const info = h("div", { id: "session-info" });
  const title = h("h1", { "data-testid": "session-title" });
  let current = null;
  const render = () => {
    title.textContent = current.name;
    mount(info, guidance(current.state, current.stateReason, current.stateDetail), details(current));
  };
  const buttons =
    isAdmin &&
    h(
      "div",
      { class: "toolbar", "data-testid": "session-commands" },
      h(
        "button",
        {
          type: "button",
          "data-testid": "cmd-connect",
          onclick: () => current && openQrModal(current.id, current.name),
        },
        t("sessions.connect"),
      ),
      COMMANDS.map((name) =>
        h(
          "button",
          {
            type: "button",
            "data-testid": `cmd-${name}`,
            class: name === "delete" ? "danger" : "",
            onclick: () => current && command(current, name),
          },
          t(`session.cmd.${name}`),
        ),
      ),
    );
  const access = h("div", { id: "session-access" });
  mount(
    root,
    h(
      "section",
      { class: "card" },
      title,
      h("a", { href: `#/chats/${id}`, class: "button" }, t("sessions.chats")),
      info,
      buttons,
    ),
    isAdmin && h("section", { class: "card" }, h("h2", {}, t("access.title")), access),
  );
  const load = async () => {
    try {
      current = (await api("GET", `/whatsapp/sessions/${id}`)).session;
      render();
    } catch (err) {
      mount(info, h("p", { class: "error" }, err.message));
    }
  };
  load();
  if (isAdmin) accessTable(access, id);
  const offs = [
    on("whatsapp:state", (d) => d.sessionId === id && load()),
    on("whatsapp:ready", (d) => d.sessionId === id && load()),
  ];
  return () => offs.forEach((off) => off());
}
