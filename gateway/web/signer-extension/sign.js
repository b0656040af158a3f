// On web.whatsapp.com, in a tab the signer opened: shows what is asked, and on the user's click asks
// the browser for the WhatsApp passkey (the browser, or the phone, then asks to unlock it); hands
// the signed answer back and is closed. In any other WhatsApp tab it does nothing: it never reads
// the page.
(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  const ask = async () => {
    for (let i = 0; i < 25; i += 1) {
      const job = await api.runtime.sendMessage({ kind: "job" }).catch(() => null);
      if (job) return job;
      await new Promise((r) => setTimeout(r, 200));
    }
    return null;
  };
  const job = await ask();
  if (!job) return;
  const ru = (navigator.language || "").toLowerCase().startsWith("ru");
  const t = ru
    ? {
        title: "Подтверждение входа для WA Gateway",
        text: `${job.origin} подключает устройство к вашему аккаунту WhatsApp. WhatsApp просит ключ доступа (passkey).`,
        sign: "Использовать ключ доступа",
        cancel: "Отмена",
        until: "Успейте до",
        failed: "Не получилось: ",
        late: "Время вышло.",
      }
    : {
        title: "Confirm a link for WA Gateway",
        text: `${job.origin} is linking a device to your WhatsApp account. WhatsApp asks for your passkey.`,
        sign: "Use my passkey",
        cancel: "Cancel",
        until: "Before",
        failed: "That did not work: ",
        late: "Time is up.",
      };
  const host = document.createElement("wagw-passkey-signer");
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = `
    .box { position: fixed; inset: auto 16px 16px auto; z-index: 2147483647; max-width: 360px;
      background: #fff; color: #111; font: 15px/1.4 system-ui, sans-serif; padding: 16px;
      border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.3); }
    h2 { font-size: 17px; margin: 0 0 8px; } p { margin: 0 0 12px; }
    button { font: inherit; padding: 8px 14px; margin-right: 8px; border-radius: 8px;
      border: 1px solid #0b6b60; background: #fff; color: #0b6b60; cursor: pointer; }
    button.go { background: #0b6b60; color: #fff; } .err { color: #a40000; }`;
  const box = document.createElement("div");
  box.className = "box";
  box.setAttribute("role", "dialog");
  const title = document.createElement("h2");
  title.textContent = t.title;
  const text = document.createElement("p");
  text.textContent = t.text;
  const until = document.createElement("p");
  until.textContent = `${t.until} ${new Date(job.deadline).toLocaleTimeString()}`;
  const status = document.createElement("p");
  status.className = "err";
  status.setAttribute("role", "alert");
  const go = document.createElement("button");
  go.className = "go";
  go.id = "sign";
  go.textContent = t.sign;
  const cancel = document.createElement("button");
  cancel.id = "cancel";
  cancel.textContent = t.cancel;
  box.append(title, text, until, status, go, cancel);
  root.append(style, box);
  document.documentElement.append(host);

  const abort = new AbortController();
  const fail = (error) => api.runtime.sendMessage({ kind: "failed", error }).catch(() => {});
  const late = setTimeout(
    () => {
      abort.abort();
      status.textContent = t.late;
      fail("timeout");
    },
    Math.max(0, job.deadline - Date.now()),
  );
  cancel.addEventListener("click", () => {
    abort.abort();
    fail("cancelled");
  });
  go.addEventListener("click", async () => {
    status.textContent = "";
    go.disabled = true;
    try {
      const publicKey = wagwWebAuthn.options({ ...job.publicKey, timeout: Math.max(1000, job.deadline - Date.now()) });
      const credential = await navigator.credentials.get({ publicKey, signal: abort.signal });
      clearTimeout(late);
      await api.runtime.sendMessage({ kind: "signed", credential: wagwWebAuthn.credential(credential) });
    } catch (e) {
      status.textContent = t.failed + (e && e.name ? `${e.name}: ${e.message}` : String(e));
      go.disabled = false;
    }
  });
})();
