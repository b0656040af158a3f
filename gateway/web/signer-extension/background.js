// The signer's background: opens a web.whatsapp.com tab for each signing request of the dashboard,
// hands the request to that tab, relays its answer back and closes it. Keeps nothing: a request
// lives only as long as its tab.
const api = globalThis.browser ?? globalThis.chrome;
const SIGN_URL = "https://web.whatsapp.com/";
const SIGN_ORIGIN = "https://web.whatsapp.com";
const jobs = new Map(); // signing tab id -> {requestId, publicKey, deadline, replyTo}

const originOf = (sender) => {
  try {
    return new URL(sender.url).origin;
  } catch {
    return "";
  }
};

async function openSigningTab(msg, dashboardTab) {
  const tab = await api.tabs.create({ url: SIGN_URL, active: true });
  jobs.set(tab.id, {
    requestId: msg.requestId,
    publicKey: msg.publicKey,
    deadline: msg.deadline,
    origin: msg.origin,
    replyTo: dashboardTab,
  });
}

function answer(tabId, reply) {
  const job = jobs.get(tabId);
  if (!job) return;
  jobs.delete(tabId);
  api.tabs.sendMessage(job.replyTo, { requestId: job.requestId, ...reply }).catch(() => {});
  api.tabs.remove(tabId).catch(() => {});
}

api.runtime.onMessage.addListener((msg, sender, reply) => {
  const tab = sender.tab && sender.tab.id;
  if (typeof tab !== "number" || !msg || typeof msg !== "object") return undefined;
  if (originOf(sender) === SIGN_ORIGIN) {
    if (msg.kind === "job") reply(jobs.get(tab) || null);
    else if (msg.kind === "signed") answer(tab, { kind: "signed", credential: msg.credential });
    else if (msg.kind === "failed") answer(tab, { kind: "failed", error: String(msg.error) });
    return undefined;
  }
  if (msg.kind === "sign") {
    openSigningTab(msg, tab).then(
      () => reply({ ok: true }),
      (e) => reply({ ok: false, error: String(e) }),
    );
    return true; // the reply comes later
  }
  if (msg.kind === "abort") {
    for (const [id, job] of jobs) {
      if (job.replyTo === tab && job.requestId === msg.requestId) answer(id, { kind: "failed", error: "aborted" });
    }
  }
  return undefined;
});

// a signing tab closed by the user: its request failed
api.tabs.onRemoved.addListener((tabId) => answer(tabId, { kind: "failed", error: "closed" }));
