// Message observer: remembers the data-id of every message row added to or changed in #main
// (new messages, ack icon changes). Python drains the ids and parses those rows. Idempotent:
// injecting twice keeps one observer; a navigation drops it and the runtime re-injects.
// arguments[0]: the selector table (worker/browser/selectors.py).
const S = arguments[0];
if (!window.__waObserver) {
  window.__waDirty = new Set();
  const mark = (node) => {
    const el = node.nodeType === 1 ? node : node.parentElement;
    if (!el || !el.closest || !el.closest(S.main)) return;
    const row = el.closest(S.anyRow);
    if (row) { window.__waDirty.add(row.getAttribute("data-id")); return; }
    if (el.querySelectorAll) {
      for (const r of el.querySelectorAll(S.anyRow)) window.__waDirty.add(r.getAttribute("data-id"));
    }
  };
  window.__waObserver = new MutationObserver((records) => {
    for (const rec of records) {
      mark(rec.target);
      for (const n of rec.addedNodes) mark(n);
    }
    // wake a waiting long-poll (see wait_snapshot in pages.py)
    window.__waChanged = true;
    if (window.__waWake) { const wake = window.__waWake; window.__waWake = null; wake(); }
  });
  window.__waObserver.observe(document.body, {
    childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["data-icon", "aria-label", "data-ref", "title", "data-link-code"],
  });
}
