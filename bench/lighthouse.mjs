// Lighthouse over the dashboard's views (signed out, then signed in) and Chromium's own
// installability verdict; prints one JSON object. Run by bench/lighthouse.py:
//   node bench/lighthouse.mjs '{"base": "http://127.0.0.1:8000", "email": "...", "password": "...",
//                             "pages": [{"name": "login", "hash": "#/login", "signedIn": false}, ...]}'
// Chromium is the system one (CHROME_PATH, default /usr/bin/chromium).
import { readFileSync } from "node:fs";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import puppeteer from "puppeteer-core";

const CATEGORIES = ["performance", "accessibility", "best-practices"];
const args = JSON.parse(process.argv[2]);
const browser = await puppeteer.launch({
  executablePath: process.env.CHROME_PATH || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"],
});

async function signIn(page) {
  await page.goto(`${args.base}/#/login`, { waitUntil: "load" });
  await page.evaluate(
    async ({ email, password }) => {
      const resp = await fetch("/api/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password }),
      });
      const { data } = await resp.json();
      localStorage.setItem("wagw.token", data.token);
      localStorage.setItem("wagw.user", JSON.stringify(data.user));
    },
    { email: args.email, password: args.password },
  );
}

/** An audit's measured value (rounded), or null when Lighthouse could not measure it. */
function metric(lhr, id, digits = 0) {
  const value = lhr.audits[id] && lhr.audits[id].numericValue;
  return typeof value === "number" ? Number(value.toFixed(digits)) : null;
}

async function audit(page, item, formFactor) {
  const flags = { logLevel: "error", output: "json", onlyCategories: CATEGORIES, disableStorageReset: true };
  const config = formFactor === "desktop" ? desktopConfig : undefined;
  let lhr = (await lighthouse(`${args.base}/${item.hash}`, flags, config, page)).lhr;
  if (CATEGORIES.some((c) => lhr.categories[c].score === null)) {
    // a run without a score (no paint seen: the machine was too busy) is tried once more
    lhr = (await lighthouse(`${args.base}/${item.hash}`, flags, config, page)).lhr;
  }
  const failed = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 0.9 && a.scoreDisplayMode === "binary")
    .map((a) => a.id);
  return {
    page: item.name,
    formFactor,
    scores: Object.fromEntries(
      CATEGORIES.map((c) => [c, lhr.categories[c].score === null ? null : Math.round(lhr.categories[c].score * 100)]),
    ),
    metrics: {
      fcpMs: metric(lhr, "first-contentful-paint"),
      lcpMs: metric(lhr, "largest-contentful-paint"),
      tbtMs: metric(lhr, "total-blocking-time"),
      cls: metric(lhr, "cumulative-layout-shift", 3),
    },
    failedAudits: failed,
    runtimeError: lhr.runtimeError ? lhr.runtimeError.code : null,
    warnings: lhr.runWarnings,
  };
}

/** Chromium's own answer to "can this be installed?" (Lighthouse 12 dropped its PWA audits). */
async function installability(page) {
  await page.goto(`${args.base}/`, { waitUntil: "load" });
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload({ waitUntil: "load" }); // now under the service worker's control
  const cdp = await page.createCDPSession();
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  const manifest = await cdp.send("Page.getAppManifest");
  const controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller));
  return {
    installable: installabilityErrors.length === 0 && manifest.errors.length === 0 && controlled,
    installabilityErrors: installabilityErrors.map((e) => e.errorId),
    manifestErrors: manifest.errors.map((e) => e.message),
    serviceWorkerControls: controlled,
  };
}

const version = JSON.parse(readFileSync(new URL("../node_modules/lighthouse/package.json", import.meta.url))).version;
const out = { lighthouse: version };
try {
  const page = await browser.newPage();
  const runs = [];
  for (const formFactor of args.formFactors || ["mobile"]) {
    await page.goto(`${args.base}/#/login`, { waitUntil: "load" });
    await page.evaluate(() => localStorage.clear());
    for (const item of args.pages.filter((p) => !p.signedIn)) runs.push(await audit(page, item, formFactor));
    await signIn(page);
    for (const item of args.pages.filter((p) => p.signedIn)) runs.push(await audit(page, item, formFactor));
  }
  out.runs = runs;
  out.pwa = await installability(page);
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
