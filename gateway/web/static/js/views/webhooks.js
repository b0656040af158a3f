// Webhooks of the company (admins): create (the signing secret is shown once), enable/disable,
// rotate the secret, delete; per webhook the delivery log, redelivery and replay from an event id.
import { api } from "../api.js";
import { fmtTime, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";

// the event types a webhook can filter on (shared/events.py EVENT_TYPES; a test keeps them equal)
export const EVENT_TYPES = [
  "state",
  "qr",
  "pairing_code",
  "passkey_required",
  "passkey_confirmation",
  "ready",
  "message",
  "message_sent",
  "message_ack",
  "message_media",
  "disconnected",
  "chat",
];

function secretNote(secret) {
  return h(
    "div",
    { class: "guidance", "data-testid": "webhook-secret-note" },
    h("strong", {}, t("webhooks.secretOnce")),
    h("p", {}, h("code", { "data-testid": "webhook-secret" }, secret)),
  );
}

function deliveries(hook) {
  const box = h("div", { class: "card", "data-testid": "deliveries", "data-webhook-id": hook.id });
  const body = h("tbody");
  const status = h(
    "select",
    { "data-testid": "deliveries-status" },
    ["", "pending", "delivered", "dead"].map((s) =>
      h("option", { value: s }, s ? t(`deliveries.${s}`) : t("deliveries.all")),
    ),
  );
  const after = h("input", {
    type: "number",
    min: "0",
    "data-testid": "replay-after",
    placeholder: t("webhooks.replayAfter"),
  });
  const load = async () => {
    try {
      const q = new URLSearchParams({ limit: "50" });
      if (status.value) q.set("status", status.value);
      const page = await api("GET", `/webhooks/${hook.id}/deliveries?${q}`);
      mount(
        body,
        page.deliveries.map((d) =>
          h(
            "tr",
            { "data-testid": "delivery-row", "data-status": d.status, "data-event-id": d.eventId },
            h("td", {}, String(d.eventId)),
            h("td", {}, d.eventType),
            h("td", {}, t(`deliveries.${d.status}`)),
            h("td", {}, String(d.attempts)),
            h("td", {}, d.responseCode ?? ""),
            h("td", {}, d.latencyMs ?? ""),
            h("td", { class: "muted" }, d.error || fmtTime(d.finishedAt || d.nextAttemptAt)),
            h(
              "td",
              {},
              h(
                "button",
                { type: "button", "data-testid": "redeliver", onclick: () => redeliver(d) },
                t("deliveries.redeliver"),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const redeliver = async (d) => {
    try {
      await api("POST", `/webhooks/${hook.id}/deliveries/${d.id}/redeliver`);
      toast(t("deliveries.queued"));
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const replay = async () => {
    try {
      await api("POST", `/webhooks/${hook.id}/replay`, { afterEventId: Number(after.value || 0) });
      toast(t("webhooks.replayed"));
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  status.addEventListener("change", load);
  mount(
    box,
    h("h2", {}, t("deliveries.title"), " ", h("span", { class: "muted" }, hook.url)),
    h(
      "div",
      { class: "inline" },
      status,
      after,
      h("button", { type: "button", "data-testid": "replay", onclick: replay }, t("webhooks.replay")),
    ),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            "deliveries.event",
            "deliveries.type",
            "deliveries.status",
            "deliveries.attempts",
            "deliveries.code",
            "deliveries.latency",
            "deliveries.detail",
            "",
          ].map((k) => h("th", {}, k && t(k))),
        ),
      ),
      body,
    ),
  );
  load();
  return box;
}

export default function webhooks(root) {
  const body = h("tbody");
  const note = h("div");
  const detail = h("div");
  const load = async () => {
    try {
      const list = (await api("GET", "/webhooks")).webhooks;
      mount(
        body,
        list.map((w) =>
          h(
            "tr",
            { "data-testid": "webhook-row", "data-webhook-id": w.id },
            h("td", {}, w.url, w.description && h("div", { class: "muted" }, w.description)),
            h("td", {}, w.events.length ? w.events.join(", ") : t("webhooks.allEvents")),
            h("td", {}, w.enabled ? t("webhooks.on") : t("webhooks.off")),
            h(
              "td",
              { class: "actions" },
              h(
                "button",
                { type: "button", "data-testid": "webhook-deliveries", onclick: () => mount(detail, deliveries(w)) },
                t("deliveries.title"),
              ),
              h(
                "button",
                { type: "button", "data-testid": "webhook-toggle", onclick: () => change(w, { enabled: !w.enabled }) },
                w.enabled ? t("webhooks.disable") : t("webhooks.enable"),
              ),
              h(
                "button",
                { type: "button", "data-testid": "webhook-rotate", onclick: () => rotate(w) },
                t("webhooks.rotate"),
              ),
              h(
                "button",
                { type: "button", class: "danger", "data-testid": "webhook-delete", onclick: () => remove(w) },
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
  const change = async (w, patch) => {
    try {
      await api("PATCH", `/webhooks/${w.id}`, patch);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const rotate = async (w) => {
    try {
      mount(note, secretNote((await api("POST", `/webhooks/${w.id}/secret`)).secret));
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const remove = async (w) => {
    if (!confirm(t("webhooks.confirmDelete", { url: w.url }))) return;
    try {
      await api("DELETE", `/webhooks/${w.id}`);
      mount(detail);
      load();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const url = h("input", {
    type: "url",
    required: true,
    "data-testid": "webhook-url",
    placeholder: "https://example.com/hooks/whatsapp",
    size: 40,
  });
  const description = h("input", {
    type: "text",
    "data-testid": "webhook-description",
    placeholder: t("webhooks.description"),
  });
  const boxes = EVENT_TYPES.map((type) => h("input", { type: "checkbox", value: type, "data-event-type": type }));
  const form = h(
    "form",
    { class: "inline", "data-testid": "webhook-form" },
    url,
    description,
    h("button", { type: "submit", "data-testid": "webhook-create" }, t("webhooks.create")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const events = boxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const made = await api("POST", "/webhooks", {
        url: url.value.trim(),
        description: description.value.trim(),
        events,
      });
      mount(note, secretNote(made.secret));
      form.reset();
      boxes.forEach((b) => {
        b.checked = false;
      });
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
      h("h1", {}, t("webhooks.title")),
      form,
      h(
        "div",
        { class: "inline", "data-testid": "webhook-events" },
        h("span", { class: "muted" }, t("webhooks.eventsHint")),
        boxes.map((b) => h("label", { class: "inline" }, b, b.value)),
      ),
      note,
      h(
        "table",
        { "data-testid": "webhooks-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["webhooks.url", "webhooks.events", "webhooks.enabled", ""].map((k) => h("th", {}, k && t(k))),
          ),
        ),
        body,
      ),
    ),
    detail,
  );
  load();
}
