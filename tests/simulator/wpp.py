"""Drive ``window.WPP`` as a worker does: wa-js injected first (CDP), listeners added once ready."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium import webdriver

ROOT = Path(__file__).resolve().parents[2]
WAJS = ROOT / "node_modules" / "@wppconnect" / "wa-js" / "dist" / "wppconnect-wa.js"
EVENTS = [
    "chat.new_message", "chat.msg_ack_change", "conn.auth_code_change", "conn.link_code_change",
    "conn.link_code_expired", "conn.authenticated", "conn.main_ready", "conn.logout",
    "conn.qrcode_idle", "conn.online",
]  # fmt: skip

# Runs after wa-js on every new document: keeps the injected WPP, then (like a worker) waits for a
# ready WPP and records its events with the fields a worker reads, through wa-js's accessors.
RECORDER = """
(() => {
  window.__injectedWPP = window.WPP;
  window.__wppEvents = [];
  const wid = (w) => (w ? { _serialized: w._serialized, user: w.user, server: w.server,
    isLid: w.isLid(), isGroup: w.isGroup(), text: String(w) } : null);
  const key = (k) => ({ _serialized: k._serialized, id: k.id, fromMe: k.fromMe,
    remote: wid(k.remote), participant: wid(k.participant), text: String(k) });
  window.__describeMsg = (m) => ({ id: key(m.id), from: wid(m.from), to: wid(m.to),
    author: wid(m.author), t: m.t, ack: m.ack, type: m.type, body: m.body,
    notifyName: m.notifyName, self: m.self, isNewMsg: m.isNewMsg, isGroupMsg: m.isGroupMsg });
  window.__describeChat = (c) => ({ id: wid(c.id), name: c.name, formattedTitle: c.formattedTitle,
    t: c.t, unreadCount: c.unreadCount, hasUnread: c.hasUnread, isGroup: c.isGroup,
    isUser: c.isUser, lastReceivedKey: c.lastReceivedKey ? key(c.lastReceivedKey) : null });
  const describe = {
    'chat.new_message': (m) => window.__describeMsg(m),
    'chat.msg_ack_change': (e) => ({ ack: e.ack, chat: wid(e.chat), sender: wid(e.sender),
      ids: e.ids.map(key) }),
  };
  const names = %s;
  let attached = null;
  setInterval(() => {
    const wpp = window.WPP;
    if (!wpp || !wpp.isReady || wpp === attached) return;
    attached = wpp;
    for (const name of names) {
      wpp.on(name, (...args) => {
        window.__wppEvents.push({ name, arg: args.length
          ? (describe[name] ? describe[name](args[0]) : JSON.parse(JSON.stringify(args[0])))
          : null });
        const log = JSON.parse(sessionStorage.getItem('wpp-events') || '[]');  // survives a reload
        sessionStorage.setItem('wpp-events', JSON.stringify([...log, name]));
      });
    }
  }, 10);
})();
"""


def inject_wajs(driver: webdriver.Chrome) -> None:
    """As the worker does before its first ``get()``: wa-js, then its own in-page script."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WAJS.read_text()})
    source = RECORDER % str(EVENTS).replace("'", '"')
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})


class Wpp:
    """Calls into the page's ``window.WPP`` and reads the events recorded so far."""

    def __init__(self, driver: webdriver.Chrome, timeout: float = 10) -> None:
        self.driver = driver
        self.timeout = timeout
        self.seen: dict[str, int] = {}  # per event name: how many ``wait_event`` went past

    def value(self, expression: str, *args: Any) -> Any:
        return self.driver.execute_script(f"return ({expression});", *args)

    def call(self, expression: str, *args: Any) -> Any:
        """Await ``expression`` (a promise) in the page: its value, or ``{"error": …}``."""
        script = f"""
            const done = arguments[arguments.length - 1];
            Promise.resolve().then(() => ({expression}))
              .then((value) => done({{ value }}))
              .catch((err) => done({{ error: {{
                code: err.code || null, message: String(err.message) }} }}));
        """
        self.driver.set_script_timeout(self.timeout)
        result = self.driver.execute_async_script(script, *args)
        return result.get("value") if "value" in result else {"error": result["error"]}

    def names_across_loads(self) -> list[str]:
        """Every event name recorded in this tab, also by documents it left since."""
        names: list[str] = self.value("JSON.parse(sessionStorage.getItem('wpp-events') || '[]')")
        return names

    def wait_ready(self) -> None:
        self.until(lambda: self.value("window.WPP && window.WPP.isReady === true"))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.value("window.__wppEvents")
        return [e for e in found if name in (None, e["name"])]

    def wait_event(self, name: str, check: Any = None) -> Any:
        """The argument of the next event ``name`` (after those this returned) passing ``check``."""

        def hit() -> Any:
            found = self.events(name)
            for index in range(self.seen.get(name, 0), len(found)):
                if check is None or check(found[index]["arg"]):
                    self.seen[name] = index + 1
                    return found[index]
            return None

        return self.until(hit)["arg"]

    def until(self, check: Any) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            value = check()
            if value:
                return value
            assert time.monotonic() < deadline, "condition not met in time"
            time.sleep(0.03)
