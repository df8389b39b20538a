/**
 * @module integration/webUI.test
 * The web UI end to end in Chromium (playwright-core) against a real in-process cluster with an SSH
 * node: an administrator completes their invite in the browser (password, the TOTP secret read off
 * the page, a code from our authenticator), logs in with password + TOTP, sees the node, runs a
 * command in the web terminal and reads its output, replays the recording, finds session.start in
 * the audit log, creates and revokes a join token and gets a validation error editing a role. And
 * the failures: a wrong password, a locked account, an expired web session, and a CSRF attempt
 * (the browser's cookie without the bearer header) each behave as they must.
 *
 * Steps share one browser page and run in order; a step that cannot run because an earlier one
 * failed says which. Selectors are roles and accessible names (see the list in docs of the UI).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import os from 'node:os';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { browserTestSkipReason, describePage, findTOTPSecret, launchBrowser, newUIContext, terminalText, waitForTerminal, watchPage, type PageWatch } from './helpers/browser.ts';
import { OSUsers, waitForEvent } from './helpers/sshEnv.ts';
import { acceptInvite, createUser, otpSource, strongPassword, tokenFromURL, type TestUser } from './helpers/users.ts';

const skip = browserTestSkipReason();
const NODE = 'webui-node';
const ADMIN = 'webadmin';
/** What the test types into the terminal and expects back (the shell computes 42: not an echo). */
const COMMAND = 'echo SID=$TELEPORT_SESSION; echo webui-$((6*7))';

/** Web API response from Node, with the browser's cookie (and optionally a bearer token). */
function apiCall(webAddr: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const i = webAddr.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = request({ host: webAddr.slice(0, i), port: Number(webAddr.slice(i + 1)), path, method: 'GET', headers, agent: false, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Fills the login form (user, password, TOTP code when given) and submits it. */
async function submitLogin(page: Page, user: string, password: string, code?: string): Promise<void> {
  await page.goto('/web/login');
  await page.getByLabel(/^user( ?name)?$/i).fill(user);
  await page.getByLabel(/^password/i).fill(password);
  if (code !== undefined) await page.getByLabel(/authenticator code|code from the app|one-time code/i).fill(code);
  await page.getByRole('button', { name: /^(log in|sign in)$/i }).click();
}

/** The table row (role=row) whose text matches. */
function row(page: Page, text: string | RegExp): Locator {
  return page.getByRole('row').filter({ hasText: text });
}

/** Polls `fn` until it returns true (for state that changes on the server after a click). */
async function eventually(fn: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('web UI in Chromium', { skip }, () => {
  let cluster: TestCluster;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  const osUsers = new OSUsers();
  let login: string;
  let inviteToken: string;
  let admin: TestUser | undefined;
  let loggedIn = false;
  let sid: string | undefined;

  const need = (cond: unknown, step: string): void => {
    if (!cond) throw new Error(`cannot run: ${step} failed earlier`);
  };
  /** A browser step: on failure, the error also says where the page was and what it showed. */
  const step = (name: string, fn: () => Promise<void>): void => {
    test(name, async () => {
      try {
        await fn();
      } catch (err) {
        if (!(err instanceof Error) || err.message.startsWith('cannot run:')) throw err;
        throw new Error(`${err.message}\n${await describePage(page)}`, { cause: err });
      }
    });
  };

  before(async () => {
    cluster = await startTestCluster({ nodeName: NODE, sshService: { labels: { env: 'webui' } } });
    // The web terminal logs in as an OS user: a throwaway one when root, else whoever runs the tests.
    login = process.getuid?.() === 0 ? osUsers.create('web') : os.userInfo().username;
    const add = await cluster.tctl(['users', 'add', ADMIN, '--roles=editor,access,auditor', `--logins=${login}`]);
    assert.equal(add.code, 0, describeResult(add));
    inviteToken = tokenFromURL(add.stdout);
    browser = await launchBrowser();
    context = await newUIContext(browser, cluster.webAddr);
    page = await context.newPage();
    watch = watchPage(page);
    context.on('page', (p) => void watchPage(p, watch));
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await cluster?.close();
    osUsers.cleanup();
  });

  test('/ redirects to the app, served with the strict CSP', async () => {
    const res = await page.goto('/');
    assert.ok(res, 'navigation answered');
    assert.match(page.url(), /\/web\/?(login)?(\?.*)?$/);
    const csp = (await res.allHeaders())['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  step('completes the invite in the browser: password and TOTP enrollment', async () => {
    try {
      await page.goto(`/web/invite/${inviteToken}`);
      await page.getByText(ADMIN).first().waitFor();
      // The secret is shown for copying next to the QR code.
      const shown = page.getByLabel(/totp secret/i).first();
      await shown.waitFor();
      const secret = findTOTPSecret(await shown.innerText()) ?? findTOTPSecret(await page.locator('body').innerText());
      assert.ok(secret, 'the invite page shows the TOTP secret');
      const otp = otpSource(secret);
      await page.getByLabel(/^(new )?password/i).fill(strongPassword(ADMIN));
      await page.getByLabel(/^confirm/i).fill(strongPassword(ADMIN));
      await page.getByLabel(/authenticator code|code from the app|one-time code/i).fill(await otp());
      await page.getByRole('button', { name: /create account|set password|finish|submit/i }).click();
      // Done: the app says so or goes on to the login page.
      await page.getByText(/account (is )?ready|log in|sign in/i).first().waitFor();
      admin = { name: ADMIN, password: strongPassword(ADMIN), otpSecret: secret, otp };
    } finally {
      // Later steps need the account even when the invite page is not right yet.
      if (!admin) admin = await acceptInvite(cluster, ADMIN, inviteToken).catch(() => undefined);
    }
  });

  step('a wrong password shows an error and stays on the login page', async () => {
    need(admin, 'the invite');
    // Any code: the password is checked first (and spending real codes would mean waiting for the next step).
    await submitLogin(page, ADMIN, 'not-the-password-at-all', '000000');
    await page.getByRole('alert').filter({ hasText: /invalid username, password or second factor/i }).waitFor();
    assert.match(page.url(), /\/web\/login/);
  });

  step('logs in with password + TOTP and lists the node with its labels', async () => {
    need(admin, 'the invite');
    await submitLogin(page, ADMIN, admin!.password, await admin!.otp());
    const node = row(page, NODE);
    await node.first().waitFor();
    loggedIn = true;
    await assert.doesNotReject(node.first().getByText(/env\s*[:=]\s*webui/).waitFor(), 'the node row shows its label env=webui');
    assert.ok(watch.bearer(), 'the app sends its bearer token in the Authorization header');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-session');
    assert.ok(session, `the session cookie is set: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Strict');
  });

  test('a request with the cookie but without the bearer header is refused (CSRF)', async () => {
    need(loggedIn, 'the login');
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const path = `/v1/webapi/sites/${CLUSTER_NAME}/nodes`;
    const bare = await apiCall(cluster.webAddr, path, { cookie });
    assert.equal(bare.status, 403, bare.text);
    assert.match(bare.text, /CSRF/);
    const wrong = await apiCall(cluster.webAddr, path, { cookie, authorization: 'Bearer 0123456789abcdef' });
    assert.equal(wrong.status, 403, wrong.text);
    const ok = await apiCall(cluster.webAddr, path, { cookie, authorization: `Bearer ${watch.bearer()}` });
    assert.equal(ok.status, 200, `with the header the same request works: ${ok.text}`);
    assert.match(ok.text, new RegExp(NODE));
  });

  step('opens a web terminal, runs a command and reads its output', async () => {
    need(loggedIn, 'the login');
    await page.goto('/web');
    const popup = context.waitForEvent('page', { timeout: 10_000 }).catch(() => undefined);
    await row(page, NODE).first().getByRole('button', { name: /connect/i }).click();
    // The login is picked from a menu of the user's logins (or typed when asked).
    const choice = page.getByRole('menuitem', { name: login, exact: true }).or(page.getByRole('option', { name: login }))
      .or(page.getByRole('link', { name: login, exact: true })).or(page.getByRole('button', { name: login, exact: true }));
    if (await choice.first().isVisible({ timeout: 3000 }).catch(() => false)) await choice.first().click();
    else {
      const typed = page.getByLabel(/login/i);
      if (await typed.isVisible().catch(() => false)) {
        await typed.fill(login);
        await typed.press('Enter');
      }
    }
    const term = (await Promise.race([popup, page.locator('.xterm').first().waitFor({ timeout: 10_000 }).then(() => page)])) ?? page;
    await term.locator('.xterm').first().waitFor();
    await waitForTerminal(term, /[$#]\s*$/m);
    await term.locator('.xterm').first().click();
    await term.keyboard.type(COMMAND);
    await term.keyboard.press('Enter');
    const m = await waitForTerminal(term, /^SID=([0-9a-f-]{36})\s*\n\s*webui-42\s*$/m);
    sid = m[1];
    assert.ok(sid);
    await waitForEvent(cluster, 'session.start', (e) => e.sid === sid, 'for the web terminal session');
    await term.keyboard.type('exit');
    await term.keyboard.press('Enter');
    await waitForEvent(cluster, 'session.end', (e) => e.sid === sid, 'after exit', 15_000);
    const text = await terminalText(term);
    if (term !== page) await term.close();
    assert.match(text, /webui-42/);
  });

  step('finds the session in the recordings and plays it', async () => {
    need(sid, 'the web terminal');
    await page.goto('/web/recordings');
    const rec = row(page, NODE).filter({ hasText: login });
    await rec.first().waitFor();
    await rec.first().getByRole('link', { name: /play/i }).or(rec.first().getByRole('button', { name: /play/i })).first().click();
    await page.waitForURL(new RegExp(`/web/recordings/${sid}`));
    // The player replays into a terminal (xterm rows); it starts by itself, else press Play.
    await page.locator('.xterm').first().waitFor();
    const shown = await waitForTerminal(page, /webui-42/, 5000).then(() => true, () => false);
    if (!shown) {
      await page.getByRole('button', { name: /^play$/i }).click();
      await waitForTerminal(page, /webui-42/, 20_000);
    }
  });

  step('finds the session.start event in the audit log and expands it to JSON', async () => {
    need(sid, 'the web terminal');
    await page.goto('/web/audit');
    await page.getByLabel('Event types').fill('session.start');
    // Each event row has a button that expands it to its JSON.
    const ev = row(page, /session\.start/).getByRole('button', { name: /details|json|expand/i })
      .or(page.getByRole('button', { name: /session\.start/ })).first();
    await ev.click();
    assert.equal(await ev.getAttribute('aria-expanded'), 'true');
    await page.getByText(new RegExp(`"sid":\\s*"${sid}"`)).first().waitFor();
  });

  step('creates a join token with the command to run, then revokes it', async () => {
    need(loggedIn, 'the login');
    await page.goto('/web/tokens');
    await page.getByRole('heading', { name: 'Join tokens' }).waitFor();
    // The form may sit behind a "New token" disclosure button.
    const open = page.getByRole('button', { name: 'New token' });
    if (await open.isVisible().catch(() => false) && (await open.getAttribute('aria-expanded')) === 'false') await open.click();
    const node = page.getByRole('checkbox', { name: /^node/i });
    if (!(await node.isChecked())) await node.check();
    await page.getByLabel('Time to live').fill('30m');
    await page.getByRole('button', { name: /^create( token)?$/i }).click();
    const command = page.getByLabel('Command to join the cluster');
    await command.waitFor();
    const text = await command.innerText();
    assert.match(text, /teleport start[\s\\]+--roles=node\b/);
    const token = /--token=(\S+)/.exec(text)?.[1];
    assert.ok(token, `the command names the token: ${text}`);
    assert.deepEqual((await cluster.auth.services.provisioning.getToken(token)).spec.roles.map((r) => r.toLowerCase()), ['node']);
    const tokenRow = row(page, token);
    await tokenRow.first().waitFor();
    await tokenRow.first().getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await tokenRow.first().waitFor({ state: 'detached' });
    await eventually(() => cluster.auth.services.provisioning.getToken(token).then(() => false, () => true), 'token deleted on the server');
  });

  step('editing a role with an invalid value shows the validation error in place', async () => {
    need(loggedIn, 'the login');
    await page.goto('/web/roles');
    await page.getByRole('button', { name: 'Edit access', exact: true })
      .or(page.getByRole('list', { name: 'roles' }).getByRole('button', { name: 'access', exact: true })).first().click();
    const editor = page.getByLabel('Role YAML');
    await editor.waitFor();
    const original = await editor.inputValue();
    assert.match(original, /kind: role/);
    const broken = /max_session_ttl:/.test(original)
      ? original.replace(/max_session_ttl:.*$/m, 'max_session_ttl: 10s')
      : original.replace(/^spec:\n/m, 'spec:\n  options:\n    max_session_ttl: 10s\n');
    await editor.fill(broken);
    await page.getByRole('button', { name: /^save( role)?$/i }).click();
    await page.getByRole('alert').filter({ hasText: /max_session_ttl/ }).first().waitFor();
    assert.equal(await editor.getAttribute('aria-invalid'), 'true', 'the editor is marked invalid');
    const stored = await cluster.auth.services.access.getRole('access');
    assert.notEqual(stored.spec.options?.max_session_ttl, '10s', 'the invalid role was not saved');
  });

  test('a locked account says so after 5 failed logins', async () => {
    const victim = await createUser(cluster, 'weblocked', { roles: ['access'], logins: [login] });
    const ctx = await newUIContext(browser, cluster.webAddr);
    try {
      const p = await ctx.newPage();
      for (let i = 0; i < 5; i++) {
        await submitLogin(p, victim.name, `wrong-password-${i}-xxxxxxxx`, '000000');
        await p.getByRole('alert').filter({ hasText: /invalid username, password or second factor/i }).waitFor();
      }
      await submitLogin(p, victim.name, victim.password, await victim.otp());
      await p.getByRole('alert').filter({ hasText: /locked/i }).waitFor();
      assert.match(p.url(), /\/web\/login/);
    } finally {
      await ctx.close();
    }
  });

  step('an expired web session sends the app to the login page saying so', async () => {
    need(loggedIn, 'the login');
    await page.goto('/web');
    await row(page, NODE).first().waitFor();
    const id = (await context.cookies()).find((c) => c.name === '__Host-session')?.value;
    assert.ok(id, 'session cookie');
    await cluster.auth.deleteWebSession(id);
    // The proxy may cache the session briefly: reload until the app notices.
    await eventually(async () => {
      await page.reload();
      return page.getByText(/session (has )?expired/i).first().isVisible({ timeout: 1500 }).catch(() => false);
    }, 'the app shows "session expired"', 20_000);
    assert.match(page.url(), /\/web\/login/);
  });

  test('the UI caused no Content-Security-Policy violations or page errors', () => {
    assert.deepEqual(watch.cspViolations, []);
    assert.deepEqual(watch.pageErrors, []);
  });
});
