// Who answers a chat: a select of the managers who may read the session, for users with
// canManageChats; the others see the name. Assigning is announced to every open dashboard.
import { api, auth } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";

const cache = new Map(); // session id -> Promise<assignees>

export function assignees(sessionId) {
  if (!cache.has(sessionId)) {
    const p = api("GET", `/whatsapp/sessions/${sessionId}/assignees`).then((d) => d.assignees);
    p.catch(() => cache.delete(sessionId));
    cache.set(sessionId, p);
  }
  return cache.get(sessionId);
}

const nameOf = (a) => a.displayName || a.email;

/**
 * @param {HTMLElement} box  its dataset.assigned holds the current assignee id
 * @param {{sessionId: string, chatId: () => string, canManage: boolean, onChange: (chat) => void}} opts
 */
export async function assignment(box, { sessionId, chatId, canManage, onChange }) {
  let people = [];
  try {
    people = await assignees(sessionId);
  } catch {
    return;
  }
  const me = auth.user && auth.user.id;
  const label = (id) => {
    const who = people.find((a) => a.id === id);
    return who ? (who.id === me ? t("assign.me") : nameOf(who)) : "";
  };
  if (!canManage) {
    const text = h("span", { class: "assigned muted", "data-testid": "assigned" });
    const show = () => {
      const name = label(box.dataset.assigned);
      text.textContent = name ? t("assign.to", { name }) : "";
    };
    mount(box, text);
    show();
    box.addEventListener("chat", show);
    return;
  }
  const select = h(
    "select",
    { id: "assign", "data-testid": "assign", "aria-label": t("assign.label") },
    h("option", { value: "" }, t("assign.nobody")),
    people.map((a) => h("option", { value: a.id }, a.id === me ? t("assign.me") : nameOf(a))),
  );
  const sync = () => {
    select.value = box.dataset.assigned || "";
  };
  select.addEventListener("change", async () => {
    const id = chatId();
    if (!id) return;
    try {
      const out = await api("PATCH", `/whatsapp/sessions/${sessionId}/chats/${id}`, {
        assignedManagerId: select.value || null,
      });
      onChange(out.chat);
      toast(select.value ? t("assign.done", { name: label(select.value) }) : t("assign.cleared"));
    } catch (err) {
      toast(err.message, "error");
      sync();
    }
  });
  box.addEventListener("chat", sync);
  mount(box, select);
  sync();
}
