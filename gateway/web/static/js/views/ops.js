// Operator page: hosts (free and busy workers) with drain, live workers (heartbeat, session,
// memory) with restart, and sessions' health (state, reason, worker, bridge, page drift counts).
import { api } from "../api.js";
import { fmtTime, h, mount, srOnly, toast } from "../dom.js";
import { driftSummary } from "../drift.js";
import { t } from "../i18n.js";
import { stateBadge } from "./sessions.js";

const REFRESH_MS = 5000;

// the newest good profile snapshot (portable profiles), and any refused one with its reason
function snapshotSummary(snap) {
  if (!snap) return "—";
  const good = snap.generation
    ? t("ops.snapshotGood", { generation: snap.generation, at: fmtTime(snap.at) })
    : t("ops.snapshotNone");
  if (!snap.refused) return good;
  return `${good}; ${t("ops.snapshotRefused", { count: snap.refused, reason: snap.lastRefusedReason || "?" })}`;
}

export default function ops(root) {
  const hosts = h("tbody");
  const workers = h("tbody");
  const sessions = h("tbody");
  const drain = async (host, on) => {
    if (on && !confirm(t("ops.confirmDrain", { host }))) return;
    try {
      await api(on ? "POST" : "DELETE", `/ops/hosts/${encodeURIComponent(host)}/drain`);
      toast(t(on ? "ops.drainRequested" : "ops.undrained", { host }));
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const hostRow = (x) =>
    h(
      "tr",
      { "data-testid": "host-row", "data-host": x.host, "data-draining": String(x.draining) },
      h("td", {}, x.host),
      h("td", { "data-testid": "host-free" }, String(x.free)),
      h("td", { "data-testid": "host-busy" }, String(x.busy)),
      h("td", { "data-testid": "host-draining" }, x.draining ? t("ops.draining") : "—"),
      h("td", {}, x.moving || "—"),
      h(
        "td",
        {},
        h(
          "button",
          { type: "button", "data-testid": "host-drain", onclick: () => drain(x.host, !x.draining) },
          t(x.draining ? "ops.undrain" : "ops.drain"),
        ),
      ),
    );
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
      const [hs, w, s] = await Promise.all([
        api("GET", "/ops/hosts"),
        api("GET", "/ops/workers"),
        api("GET", "/ops/sessions"),
      ]);
      mount(hosts, hs.hosts.map(hostRow));
      mount(
        workers,
        w.workers.map((x) =>
          h(
            "tr",
            { "data-testid": "worker-row", "data-worker-id": x.id },
            h("td", {}, x.id),
            h("td", {}, x.host || "—"),
            h("td", {}, x.state),
            h("td", { "data-testid": "worker-session" }, x.sessionId || "—"),
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
            h("td", {}, stateBadge(x.state, x.stateReason)),
            h("td", {}, x.stateReason || ""),
            h("td", {}, x.workerId || "—"),
            h("td", { "data-testid": "ops-bridge" }, x.bridge ? t(`ops.bridge.${x.bridge}`) : "—"),
            h(
              "td",
              { "data-testid": "ops-drift", class: Object.keys(x.pageDrift || {}).length ? "error" : "" },
              driftSummary(x.pageDrift),
            ),
            h(
              "td",
              { "data-testid": "ops-snapshot", class: x.snapshot?.refused ? "error" : "" },
              snapshotSummary(x.snapshot),
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
      h("h1", {}, t("ops.hosts")),
      h(
        "table",
        { "data-testid": "hosts-table", class: "cards" },
        head(["ops.host", "ops.free", "ops.busy", "ops.draining", "ops.moving", ""]),
        hosts,
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("ops.workers")),
      h(
        "table",
        { "data-testid": "workers-table", class: "cards" },
        head(["ops.worker", "ops.host", "ops.state", "ops.session", "ops.heartbeat", "ops.memory", ""]),
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
          "ops.snapshot",
        ]),
        sessions,
      ),
    ),
  );
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}
