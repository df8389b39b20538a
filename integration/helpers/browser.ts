/**
 * @module integration/helpers/browser
 * Drives Debian's Chromium with playwright-core for the web UI tests: where the browser and the UI
 * build are (and why a test must skip without them), a launch with the flags an offline, rootful,
 * GPU-less machine needs, a context that accepts the test proxy's self-signed certificate, and
 * readers for what the page shows (xterm.js rows, Content-Security-Policy violations, the bearer
 * token the app sends).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The browser binary: $CHROMIUM_PATH or Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags for headless Chromium on a CI machine: no sandbox (runs as root), no GPU, no network chatter. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The built UI the proxy serves (what `npm run build:web` writes). */
export const WEB_DIST_INDEX = fileURLToPath(new URL('../../packages/web/dist/index.html', import.meta.url));

/** Why the browser tests cannot run here, or false when they can. */
export function browserTestSkipReason(): string | false {
  if (!existsSync(CHROMIUM_PATH)) return `needs Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (!process.env.TELEPORT_WEB_ASSETS_DIR && !existsSync(WEB_DIST_INDEX)) return 'needs the built web UI: run npm run build:web';
  return false;
}

/** Launches headless Chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** What a page reported while the test drove it. */
export interface PageWatch {
  /** Console messages about Content-Security-Policy violations (the UI must cause none). */
  cspViolations: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** The last `Authorization: Bearer` token the app sent to the web API. */
  bearer(): string | undefined;
}

/** A fresh context (own cookies and storage) for the proxy at `webAddr`, phone-or-desktop sized. */
export async function newUIContext(browser: Browser, webAddr: string, viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: `https://${webAddr}`, ignoreHTTPSErrors: true, viewport });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Records CSP violations, page errors and the bearer token of a page (and of pages it opens). */
export function watchPage(page: Page, watch?: PageWatch): PageWatch {
  let token: string | undefined;
  const w: PageWatch = watch ?? { cspViolations: [], pageErrors: [], bearer: () => token };
  page.on('console', (msg) => {
    if (/Content[- ]Security[- ]Policy/i.test(msg.text())) w.cspViolations.push(`${new URL(page.url()).pathname}: ${msg.text().slice(0, 160)}`);
  });
  page.on('pageerror', (err) => w.pageErrors.push(err.message));
  page.on('request', (req) => {
    const auth = req.headers().authorization;
    const m = auth ? /^Bearer (\S+)$/.exec(auth) : null;
    if (m?.[1]) token = m[1];
  });
  return w;
}

/** The text of the terminal's rows (xterm.js's DOM renderer), one line per row, trailing blanks trimmed. */
export async function terminalText(page: Page): Promise<string> {
  return page.locator('.xterm-rows').first().evaluate((el) => Array.from(el.children).map((row) => (row.textContent ?? '').replace(/\s+$/, '')).join('\n'));
}

/** Waits until the terminal shows text matching `re`; returns the match. Throws with the screen on timeout. */
export async function waitForTerminal(page: Page, re: RegExp, ms = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  let text = '';
  for (;;) {
    text = await terminalText(page).catch(() => '');
    const m = re.exec(text);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`terminal did not show ${re} within ${ms} ms; it shows:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Where a page is and what it says (URL, alerts, the start of its text), for failure messages. */
export async function describePage(page: Page): Promise<string> {
  const alerts = await page.getByRole('alert').allInnerTexts().catch(() => []);
  const text = await page.locator('body').innerText({ timeout: 1000 }).catch(() => '');
  return `page ${page.url()}\nalerts: ${JSON.stringify(alerts)}\ntext: ${text.replace(/\s+/g, ' ').slice(0, 600)}`;
}

/** Base32 TOTP secrets on a page (the invite shows the secret to copy). */
export function findTOTPSecret(text: string): string | undefined {
  // Secrets are shown grouped or not; join groups of 4 before searching.
  const candidates = [text, text.replace(/([A-Z2-7]{4}) (?=[A-Z2-7]{4})/g, '$1')];
  for (const t of candidates) {
    const m = /(?:secret=)?\b([A-Z2-7]{16,})\b/.exec(t);
    if (m?.[1]) return m[1];
  }
  return undefined;
}
