/**
 * @module tool/tsh/status.test
 * `tsh status` against a real cluster: nobody logged in, several profiles with the active one first,
 * expiry ([EXPIRED] and exit 1, with an injected clock), and `tsh -i <identity file> status`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestCluster, tempHome, tsh, type TestCluster } from '../../testing/tshCluster.ts';

let cluster: TestCluster;
const homes: string[] = [];

async function home(): Promise<string> {
  const h = await tempHome();
  homes.push(h);
  return h;
}

before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster.close();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

const inADay = (): Date => new Date(Date.now() + 24 * 3600_000);

describe('tsh status', () => {
  it('says "Not logged in." on stderr and exits 1 without profiles', async () => {
    const res = await tsh(['status'], { TELEPORT_HOME: await home() });
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, 'ERROR: Not logged in.\n');
  });

  it('lists every profile, the active one first, and --proxy picks the active one', async () => {
    const alice = await cluster.addUser('alice', { roles: ['access', 'editor'] });
    const env = { TELEPORT_HOME: await home() };
    const port = cluster.webAddr.split(':')[1];
    // The same proxy under two names gives two profiles.
    const viaIP = await tsh(['login', `--proxy=127.0.0.1:${port}`, '--user=alice', '--insecure'], env, `${alice.password}\n${alice.otp()}\n`);
    assert.equal(viaIP.code, 0, viaIP.stderr);
    const viaName = await tsh(['login', `--proxy=localhost:${port}`, '--user=alice', '--insecure'], env, `${alice.password}\n${alice.otp()}\n`);
    assert.equal(viaName.code, 0, viaName.stderr);
    const res = await tsh(['status'], env);
    assert.equal(res.code, 0, res.stderr);
    const blocks = res.stdout.split('\n\n');
    assert.equal(blocks.length, 2);
    assert.match(blocks[0] ?? '', new RegExp(`^> Profile URL: +https://localhost:${port}\n`));
    assert.match(blocks[1] ?? '', new RegExp(`^  Profile URL: +https://127\\.0\\.0\\.1:${port}\n`));
    const picked = await tsh(['status', `--proxy=127.0.0.1:${port}`], env);
    assert.match(picked.stdout, new RegExp(`^> Profile URL: +https://127\\.0\\.0\\.1:${port}\n`));
  });

  it('marks an expired active profile [EXPIRED] and exits 1', async () => {
    const bob = await cluster.addUser('bob');
    const env = { TELEPORT_HOME: await home() };
    assert.equal((await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=bob', '--insecure'], env, `${bob.password}\n${bob.otp()}\n`)).code, 0);
    const res = await tsh(['status'], env, '', { now: inADay });
    assert.equal(res.code, 1);
    assert.match(res.stdout, /Logged in as: +bob\n/);
    assert.match(res.stdout, /Valid until: +.* \[EXPIRED\]\n/);
    assert.match(res.stderr, /^ERROR: Active profile expired\. Run "tsh login --proxy=127\.0\.0\.1:\d+" to log in again\.\n$/);
  });

  it('describes an identity file with -i, without any profile', async () => {
    await cluster.addUser('carol', { roles: ['access', 'auditor'], logins: ['carol', 'ubuntu'] });
    const h = await home();
    const path = join(h, 'carol.pem');
    await writeFile(path, await cluster.identityFile('carol', 2 * 3600_000), { mode: 0o600 });
    const res = await tsh(['-i', path, 'status'], { TELEPORT_HOME: h });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^> Identity file: +${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
    assert.match(res.stdout, /Logged in as: +carol\n/);
    assert.match(res.stdout, /Cluster: +test\.example\.com\n/);
    assert.match(res.stdout, /Roles: +access, auditor\n/);
    assert.match(res.stdout, /Logins: +carol, ubuntu\n/);
    assert.match(res.stdout, /\[valid for (2h0m0s|1h59m0s)\]/);
    // The flag after the subcommand works too, and expiry is reported.
    const expired = await tsh(['status', '--identity', path], { TELEPORT_HOME: h }, '', { now: inADay });
    assert.equal(expired.code, 1);
    assert.match(expired.stdout, /\[EXPIRED\]/);
    assert.match(expired.stderr, /ERROR: the certificates in identity file .* expired at .*tctl auth sign/);
  });

  it('explains a missing or malformed identity file', async () => {
    const h = await home();
    const missing = await tsh(['-i', join(h, 'nope.pem'), 'status'], { TELEPORT_HOME: h });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ERROR: identity file .*nope\.pem does not exist/);
    await writeFile(join(h, 'junk.pem'), 'hello\n');
    const junk = await tsh(['-i', join(h, 'junk.pem'), 'status'], { TELEPORT_HOME: h });
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /ERROR: cannot use identity file .*junk\.pem: not an identity file/);
  });
});
