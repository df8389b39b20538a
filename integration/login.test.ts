/**
 * @module integration/login.test
 * The first-login journey end to end: `tctl users add` prints an invite URL, the user reads the token
 * (TOTP secret) from the proxy, sets a password with a TOTP code, logs in with `tsh login` (answers
 * piped on stdin) and sees their identity in `tsh status`; the ~/.tsh files are private. Invites
 * cannot be replayed, and a rejected weak password leaves the invite usable.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WebAPIPaths, type PasswordTokenResponse } from '../packages/api/src/webapi.ts';
import { generateTOTP } from '../packages/teleport/src/auth/totp.ts';
import { describeResult } from './helpers/cli.ts';
import { CLUSTER_NAME, startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { acceptInvite, completeToken, strongPassword, tokenFromURL, tshLogin } from './helpers/users.ts';
import { errorMessageOf, webRequest } from './helpers/web.ts';

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

describe('invite, password + TOTP, tsh login', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ secondFactor: 'otp' });
  });
  after(async () => {
    await cluster?.close();
  });

  test('tctl users add -> invite -> tsh login -> tsh status', async () => {
    const add = await cluster.tctl(['users', 'add', 'alice', '--roles=access,editor', '--logins=root,alice']);
    assert.equal(add.code, 0, describeResult(add));
    const port = cluster.webAddr.split(':').pop();
    assert.match(add.stdout, new RegExp(`https://[^/\\s]+:${port}/web/invite/[0-9a-f]{32}`), 'invite URL names the bound proxy port');
    const token = tokenFromURL(add.stdout);

    const info = await webRequest<PasswordTokenResponse>(cluster.webAddr, 'GET', `${WebAPIPaths.passwordToken}/${token}`);
    assert.equal(info.status, 200, info.text);
    assert.equal(info.body.user, 'alice');
    assert.ok(info.body.otp_secret, 'an OTP cluster hands out a TOTP secret to enroll');

    const password = strongPassword('alice');
    const put = await completeToken(cluster, token, password, generateTOTP(info.body.otp_secret, Date.now()));
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, { user: 'alice' });

    const home = cluster.newHome();
    const secret = info.body.otp_secret;
    // The enrollment code is spent; log in with the next step's code.
    const login = await tshLogin(cluster, {
      name: 'alice', password, otpSecret: secret, otp: async () => generateTOTP(secret, Date.now() + 30_000),
    }, home);
    assert.equal(login.code, 0, describeResult(login));

    const status = await cluster.tsh(['status'], { env: { TELEPORT_HOME: home, HOME: home } });
    assert.equal(status.code, 0, describeResult(status));
    assert.match(status.stdout, /^> Profile URL:\s+https:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(status.stdout, /Logged in as:\s+alice$/m);
    assert.match(status.stdout, new RegExp(`Cluster:\\s+${CLUSTER_NAME.replace('.', '\\.')}$`, 'm'));
    assert.match(status.stdout, /Roles:\s+access, editor$/m);
    assert.match(status.stdout, /Logins:\s+(root, alice|alice, root)$/m);
    assert.match(status.stdout, /Valid until:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC \[valid for 1[12]h\d+m0s\]$/m);

    // The ~/.tsh layout, with private files.
    const keys = join(home, 'keys', '127.0.0.1');
    assert.equal((await readFile(join(home, 'current-profile'), 'utf8')).trim(), '127.0.0.1');
    for (const f of ['127.0.0.1.yaml', 'known_hosts']) await stat(join(home, f));
    for (const f of ['alice', 'alice.pub', 'alice.crt', `alice-ssh/${CLUSTER_NAME}-cert.pub`, `cas/${CLUSTER_NAME}.pem`]) {
      await stat(join(keys, f));
    }
    assert.match(await readFile(join(keys, 'alice'), 'utf8'), /-----BEGIN (OPENSSH )?PRIVATE KEY-----/);
    assert.equal(await mode(join(keys, 'alice')), 0o600, 'private key is 0600');
    for (const f of await filesUnder(join(home, 'keys'))) {
      assert.equal((await mode(f)) & 0o077, 0, `${f} is not readable by group or others`);
    }
    assert.equal(await mode(join(home, 'keys')), 0o700);
  });

  test('a used invite cannot be replayed', async () => {
    const add = await cluster.tctl(['users', 'add', 'carol', '--roles=access']);
    assert.equal(add.code, 0, describeResult(add));
    const token = tokenFromURL(add.stdout);
    const info = await webRequest<PasswordTokenResponse>(cluster.webAddr, 'GET', `${WebAPIPaths.passwordToken}/${token}`);
    assert.ok(info.body.otp_secret);
    const code = generateTOTP(info.body.otp_secret, Date.now());
    const first = await completeToken(cluster, token, strongPassword('carol'), code);
    assert.equal(first.status, 200, first.text);

    const replay = await completeToken(cluster, token, 'another-password-entirely', code);
    assert.equal(replay.status, 404, replay.text);
    assert.match(errorMessageOf(replay), /expired or was already used/);

    const get = await webRequest(cluster.webAddr, 'GET', `${WebAPIPaths.passwordToken}/${token}`);
    assert.equal(get.status, 404, get.text);
    assert.match(errorMessageOf(get), /expired or was already used/);
  });

  test('a too-short password is rejected and the invite stays usable', async () => {
    const add = await cluster.tctl(['users', 'add', 'bob', '--roles=access', '--logins=bob']);
    assert.equal(add.code, 0, describeResult(add));
    const token = tokenFromURL(add.stdout);
    const info = await webRequest<PasswordTokenResponse>(cluster.webAddr, 'GET', `${WebAPIPaths.passwordToken}/${token}`);
    assert.ok(info.body.otp_secret);

    const short = await completeToken(cluster, token, 'short', generateTOTP(info.body.otp_secret, Date.now()));
    assert.equal(short.status, 400, short.text);
    assert.match(errorMessageOf(short), /password must be at least 12 characters/);

    const bob = await acceptInvite(cluster, 'bob', token);
    const home = cluster.newHome();
    const login = await tshLogin(cluster, bob, home);
    assert.equal(login.code, 0, describeResult(login));
    assert.match(login.stdout, /Logged in as:\s+bob$/m);
  });
});
