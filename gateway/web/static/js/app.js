// Entry point: hash router, role guards, header (nav, language, logout) and the service worker.
import { auth } from "./api.js";
import { h, mount } from "./dom.js";
import { getLang, setLang, t } from "./i18n.js";
import { connect, disconnect, on } from "./socket.js";
import { initQrModal } from "./qrmodal.js";
import login from "./views/login.js";
import sessions from "./views/sessions.js";
import session from "./views/session.js";
import managers from "./views/managers.js";
import chats from "./views/chatlist.js";
import conversation from "./views/conversation.js";
import stats from "./views/stats.js";
import ops from "./views/ops.js";
import webhooks from "./views/webhooks.js";
import apikeys from "./views/apikeys.js";

// [pattern, view, roles allowed (null = any signed-in user)]
const ROUTES = [
  [/^#\/login$/, login, "public"],
  [/^#\/sessions$/, sessions, ["admin", "manager"]],
  [/^#\/sessions\/([\w-]+)$/, session, ["admin", "manager"]],
  [/^#\/chats\/([\w-]+)$/, chats, ["admin", "manager"]],
  [/^#\/chats\/([\w-]+)\/([\w-]+)$/, conversation, ["admin", "manager"]],
  [/^#\/managers$/, managers, ["admin"]],
  [/^#\/stats$/, stats, ["admin", "manager"]],
  [/^#\/ops$/, ops, ["operator"]],
  [/^#\/webhooks$/, webhooks, ["admin"]],
  [/^#\/api-keys$/, apikeys, ["admin"]],
];
const NAV = {
  admin: [["#/sessions", "nav.sessions"], ["#/managers", "nav.managers"], ["#/stats", "nav.stats"],
    ["#/webhooks", "nav.webhooks"], ["#/api-keys", "nav.apikeys"]],
  manager: [["#/sessions", "nav.sessions"], ["#/stats", "nav.stats"]],
  operator: [["#/ops", "nav.ops"]],
};

let cleanup = null;

function home(user) {
  if (!user) return "#/login";
  return user.role === "operator" ? "#/ops" : "#/sessions";
}

function renderHeader(user) {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const links = (user && NAV[user.role]) || [];
  mount(document.getElementById("nav"), links.map(([href, key]) =>
    h("a", { href, "data-testid": `nav-${href.slice(2)}`, class: location.hash.startsWith(href) ? "active" : "" }, t(key))));
  document.getElementById("whoami").textContent = user ? `${user.email} (${t(`role.${user.role}`)})` : "";
  const logout = document.getElementById("logout");
  logout.hidden = !user;
  logout.textContent = t("nav.logout");
  document.getElementById("lang").value = getLang();
}

function route() {
  const user = auth.user && auth.token ? auth.user : null;
  const hash = location.hash || "#/";
  const match = ROUTES.map(([re, view, roles]) => [hash.match(re), view, roles]).find(([m]) => m);
  if (!match || (match[2] !== "public" && (!user || !match[2].includes(user.role)))) {
    location.replace(home(user));
    return;
  }
  if (match[2] === "public" && user) {
    location.replace(home(user));
    return;
  }
  if (cleanup) cleanup();
  renderHeader(user);
  const root = document.getElementById("view");
  root.replaceChildren();
  root.dataset.view = match[1].name;
  cleanup = match[1](root, { params: match[0].slice(1), user }) || null;
}

export function signedIn() {
  const user = auth.user;
  if (user && user.role !== "operator") connect(auth.token); // operators have no socket
  location.hash = home(user);
}

function signOut() {
  auth.clear();
  disconnect();
  location.hash = "#/login";
  route();
}

function start() {
  setLang(getLang());
  initQrModal();
  document.getElementById("lang").addEventListener("change", (e) => { setLang(e.target.value); route(); });
  document.getElementById("logout").addEventListener("click", signOut);
  window.addEventListener("wagw:logged-out", signOut);
  window.addEventListener("hashchange", route);
  // the socket missed more than the server can replay: the current view loads its lists again
  on("resync", () => route());
  if (auth.token && auth.user && auth.user.role !== "operator") connect(auth.token);
  route();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("service worker", err));
  }
}

start();
