// Operator page: live workers (heartbeat, session, memory) with restart, and sessions' health
// (state, reason, worker, bridge, page drift counts).
import { api } from "../api.js";
import { fmtTime, h, mount, srOnly, toast } from "../dom.js";
import { driftSummary } from "../drift.js";
import { t } from "../i18n.js";

const REFRESH_MS = 5000;

export default function ops(root) {
  const workers = h("tbody");
  const sessions = h("tbody");
  const restart = async (id) => {
    if (!confirm(t("ops.confirmRestart", { id }))) return;
    try {
      await api("POST", `/ops/workers/${encodeURIComponent(id)}/restart`);
      toast(t("ops.restarted", { id }));
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const load = async () => {
    try {
      const [w, s] = await Promise.all([api("GET", "/ops/workers"), api("GET", "/ops/sessions")]);
      mount(
        workers,
        w.workers.map((x) =>
          h(
            "tr",
            { "data-testid": "worker-row", "data-worker-id": x.id },
            h("td", {}, x.id),
            h("td", {}, x.state),
            h("td", {}, x.sessionId || "—"),
            h("td", {}, fmtTime(x.heartbeatAt)),
            h("td", {}, x.browserPssMb == null ? "—" : `${Math.round(x.browserPssMb)} MB`),
            h(
              "td",
              {},
              h(
                "button",
                { type: "button", "data-testid": "worker-restart", disabled: !x.alive, onclick: () => restart(x.id) },
                t("ops.restart"),
              ),
            ),
          ),
        ),
      );
      mount(
        sessions,
        s.sessions.map((x) =>
          h(
            "tr",
            { "data-testid": "ops-session-row", "data-session-id": x.id },
            h("td", {}, x.companyName),
            h("td", {}, x.name),
            h("td", {}, t(`state.${x.state}`)),
            h("td", {}, x.stateReason || ""),
            h("td", {}, x.workerId || "—"),
            h("td", { "data-testid": "ops-bridge" }, x.bridge ? t(`ops.bridge.${x.bridge}`) : "—"),
            h(
              "td",
              { "data-testid": "ops-drift", class: Object.keys(x.pageDrift || {}).length ? "error" : "" },
              driftSummary(x.pageDrift),
            ),
          ),
        ),
      );
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const head = (keys) =>
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        keys.map((k) => h("th", {}, k ? t(k) : srOnly(t("common.actions")))),
      ),
    );
  mount(
    root,
    h(
      "section",
      { class: "card" },
      h("h1", {}, t("ops.workers")),
      h(
        "table",
        { "data-testid": "workers-table", class: "cards" },
        head(["ops.worker", "ops.state", "ops.session", "ops.heartbeat", "ops.memory", ""]),
        workers,
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("ops.sessions")),
      h(
        "table",
        { "data-testid": "ops-sessions-table", class: "cards" },
        head([
          "ops.company",
          "sessions.name",
          "sessions.state",
          "session.reason",
          "ops.worker",
          "ops.bridge",
          "session.drift",
        ]),
        sessions,
      ),
    ),
  );
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}
