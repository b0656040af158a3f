// The header: navigation for the role, and the menu (language, notifications, sound, who is signed
// in, log out); on a narrow screen the menu folds behind one button.
import { h, mount } from "./dom.js";
import { getLang, setLang, t } from "./i18n.js";
import { pref, setPref } from "./prefs.js";
import { unlockSound } from "./attention.js";

const NAV = {
  admin: [
    ["#/sessions", "nav.sessions"],
    ["#/managers", "nav.managers"],
    ["#/quick-replies", "nav.quickReplies"],
    ["#/stats", "nav.stats"],
    ["#/webhooks", "nav.webhooks"],
    ["#/api-keys", "nav.apikeys"],
  ],
  manager: [
    ["#/sessions", "nav.sessions"],
    ["#/stats", "nav.stats"],
  ],
  operator: [["#/ops", "nav.ops"]],
};

const el = (id) => document.getElementById(id);
let shownFor = null; // the user the header shows

function notifyState() {
  if (!("Notification" in window)) return "unsupported";
  return Notification.permission; // default | granted | denied
}

function renderSwitches(user) {
  const box = el("notify");
  const state = notifyState();
  box.checked = state === "granted" && pref("notify");
  box.disabled = state === "unsupported" || state === "denied";
  el("notify-hint").textContent = state === "denied" ? t("menu.notifyBlocked") : "";
  el("sound").checked = pref("sound");
  el("switches").hidden = !user || user.role === "operator";
}

/** Draw the header for `user` (null: signed out). */
export function renderHeader(user) {
  shownFor = user;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]"))
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  const links = (user && NAV[user.role]) || [];
  mount(
    el("nav"),
    links.map(([href, key]) =>
      h(
        "a",
        {
          href,
          "data-testid": `nav-${href.slice(2)}`,
          class: location.hash.startsWith(href) ? "active" : "",
          "aria-current": location.hash.startsWith(href) ? "page" : null,
        },
        t(key),
      ),
    ),
  );
  el("whoami").textContent = user ? `${user.email} (${t(`role.${user.role}`)})` : "";
  el("logout").hidden = !user;
  el("menu-toggle").hidden = !user;
  el("lang").value = getLang();
  renderSwitches(user);
}

function setOpen(open) {
  el("menu").dataset.open = String(open);
  if (open) el("menu-panel").querySelector("input:not(:disabled), select, button")?.focus();
  el("menu-toggle").setAttribute("aria-expanded", String(open));
}

/** Wire the header's controls once; `onLang` re-renders the app, `onLogout` signs out. */
export function initMenu({ onLang, onLogout }) {
  el("menu-toggle").addEventListener("click", () => setOpen(el("menu").dataset.open !== "true"));
  el("menu").addEventListener("click", (e) => {
    if (e.target.closest("a")) setOpen(false);
  });
  document.addEventListener("click", (e) => {
    if (el("menu").dataset.open === "true" && !e.target.closest("#menu, #menu-toggle")) setOpen(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && el("menu").dataset.open === "true") {
      setOpen(false);
      el("menu-toggle").focus();
    }
  });
  el("lang").addEventListener("change", (e) => {
    setLang(e.target.value, { remember: true });
    onLang();
  });
  el("notify").addEventListener("change", async (e) => {
    const wanted = e.target.checked;
    setPref("notify", wanted);
    // asked here, on the user's own click: browsers ignore (or punish) a request out of the blue
    if (wanted && notifyState() === "default") await Notification.requestPermission();
    renderSwitches(shownFor);
  });
  el("sound").addEventListener("change", (e) => {
    setPref("sound", e.target.checked);
    if (e.target.checked) unlockSound();
  });
  el("logout").addEventListener("click", () => {
    setOpen(false);
    onLogout();
  });
  window.addEventListener("hashchange", () => setOpen(false));
  setOpen(false);
}
