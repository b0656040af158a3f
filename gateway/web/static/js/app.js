// Entry point: hash router (role guards; a view may take a new route in place), header, the live
// connection and what follows it (banner, unread count, notifications), and the service worker.
import { auth } from "./api.js";
import { startAttention, stopAttention, unlockSound } from "./attention.js";
import { initBanner, renderBanner } from "./banner.js";
import { getLang, setLang } from "./i18n.js";
import { initMenu, renderHeader } from "./menu.js";
import { pref } from "./prefs.js";
import { connect, disconnect } from "./socket.js";
import login from "./views/login.js";

// [pattern, module (loaded when first needed), roles allowed ("public": signed out only)]
const ROUTES = [
  [/^#\/login$/, null, "public"],
  [/^#\/sessions$/, "sessions", ["admin", "manager"]],
  [/^#\/sessions\/([\w-]+)$/, "session", ["admin", "manager"]],
  [/^#\/chats\/([\w-]+)(?:\/([\w@.-]+))?$/, "inbox", ["admin", "manager"]],
  [/^#\/managers$/, "managers", ["admin"]],
  [/^#\/quick-replies$/, "quickreplies", ["admin"]],
  [/^#\/stats$/, "stats", ["admin", "manager"]],
  [/^#\/ops$/, "ops", ["operator"]],
  [/^#\/webhooks$/, "webhooks", ["admin"]],
  [/^#\/api-keys$/, "apikeys", ["admin"]],
];

let current = null; // {name, handle: cleanup function | {cleanup, update}}
let routing = 0;

function home(user) {
  if (!user) return "#/login";
  return user.role === "operator" ? "#/ops" : "#/sessions";
}

async function load(name) {
  if (!name) return login;
  return (await import(`./views/${name}.js`)).default;
}

function cleanup() {
  if (!current) return;
  const { handle } = current;
  if (typeof handle === "function") handle();
  else if (handle && handle.cleanup) handle.cleanup();
  current = null;
}

/** Move focus to the new view (its heading) unless the view put it somewhere itself. */
function focusView(root) {
  if (root.contains(document.activeElement)) return;
  const heading = root.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

async function route() {
  const user = auth.user && auth.token ? auth.user : null;
  const hash = location.hash || "#/";
  const found = ROUTES.find(([re]) => re.test(hash));
  if (!found || (found[2] !== "public" && (!user || !found[2].includes(user.role)))) {
    location.replace(home(user));
    return;
  }
  if (found[2] === "public" && user) {
    location.replace(home(user));
    return;
  }
  const [re, name, roles] = found;
  const params = hash
    .match(re)
    .slice(1)
    .filter((p) => p !== undefined);
  renderHeader(user);
  document.body.dataset.route = name || "login";
  if (current && current.name === name && current.handle && current.handle.update) {
    if (current.handle.update(params)) return; // the view took the new route in place
  }
  const ticket = ++routing;
  const view = await load(name);
  if (ticket !== routing) return; // another route came meanwhile
  cleanup();
  const root = document.getElementById("view");
  root.replaceChildren();
  root.dataset.view = view.name;
  current = { name, handle: view(root, { params, user, roles }) || null };
  focusView(root);
}

export function signedIn() {
  const user = auth.user;
  if (user && user.role !== "operator") {
    connect(auth.token); // operators have no socket
    startAttention();
  }
  location.hash = home(user);
}

function signOut() {
  auth.clear();
  stopAttention();
  disconnect();
  location.hash = "#/login";
  route();
}

function rerender() {
  cleanup();
  route();
  renderBanner();
}

function start() {
  setLang(getLang());
  initMenu({ onLang: rerender, onLogout: signOut });
  initBanner();
  window.addEventListener("wagw:logged-out", signOut);
  window.addEventListener("hashchange", route);
  // a sound may only start after a gesture: the first tap or key of the visit unlocks it
  const unlock = () => pref("sound") && unlockSound();
  document.addEventListener("pointerdown", unlock, { once: true });
  document.addEventListener("keydown", unlock, { once: true });
  if (auth.token && auth.user && auth.user.role !== "operator") {
    connect(auth.token);
    startAttention();
  }
  route();
  import("./qrmodal.js").then((m) => m.initQrModal());
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch((err) => console.warn("service worker", err));
  }
}

start();
