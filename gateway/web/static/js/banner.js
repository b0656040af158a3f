// The connection banner: shown while the browser is offline or the live connection is being
// re-established, so a manager knows the inbox may be behind.
import { t } from "./i18n.js";
import { on, socketState } from "./socket.js";

function render() {
  const el = document.getElementById("banner");
  let key = null;
  if (!navigator.onLine) key = "banner.offline";
  else if (socketState() === "reconnecting") key = "banner.reconnecting";
  el.hidden = !key;
  el.dataset.state = key ? key.split(".")[1] : "";
  el.textContent = key ? t(key) : "";
}

export function initBanner() {
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  on("socket:state", render);
  render();
}

export { render as renderBanner };
