/**
 * @module tool/tsh/logout.test
 * `tsh logout` against a real cluster (second factor off, so one user can log in many times): one
 * user at one proxy, everything, and the messages for nothing to do and half-given flags.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import { startTestCluster, tempHome, tsh, type TestCluster, type TestUser } from '../../testing/tshCluster.ts';

let cluster: TestCluster;
let alice: TestUser;
const homes: string[] = [];
let port = '';

async function loggedIn(...proxies: string[]): Promise<Record<string, string>> {
  const h = await tempHome();
  homes.push(h);
  const env = { TELEPORT_HOME: h };
  for (const p of proxies) {
    const res = await tsh(['login', `--proxy=${p}:${port}`, '--user=alice', '--insecure'], env, `${alice.password}\n`);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /OTP/);
  }
  return env;
}

before(async () => {
  cluster = await startTestCluster({ secondFactor: 'off' });
  alice = await cluster.addUser('alice');
  port = cluster.webAddr.split(':')[1] ?? '';
});
after(async () => {
  await cluster.close();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

describe('tsh logout', () => {
  it('logs one user out of one proxy and keeps the other profile and known_hosts', async () => {
    const env = await loggedIn('127.0.0.1', 'localhost');
    const res = await tsh(['logout', '--proxy=127.0.0.1', '--user=alice'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'Logged out alice from 127.0.0.1.\n');
    assert.deepEqual((await readdir(env.TELEPORT_HOME as string)).sort(), ['current-profile', 'keys', 'known_hosts', 'localhost.yaml']);
    assert.deepEqual(await readdir(`${env.TELEPORT_HOME}/keys`), ['localhost']);
    const status = await tsh(['status'], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^> Profile URL: +https:\/\/localhost:/);
    const again = await tsh(['logout', '--proxy=127.0.0.1', '--user=alice'], env);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, 'User alice already logged out from 127.0.0.1.\n');
  });

  it('logs everybody out of every proxy without flags', async () => {
    const env = await loggedIn('127.0.0.1', 'localhost');
    const res = await tsh(['logout'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'Logged out all users from all proxies.\n');
    assert.deepEqual(await readdir(env.TELEPORT_HOME as string), ['known_hosts']);
    const status = await tsh(['status'], env);
    assert.equal(status.code, 1);
    assert.equal(status.stderr, 'ERROR: Not logged in.\n');
    assert.equal((await tsh(['logout'], env)).code, 0, 'logging out twice is fine');
  });

  it('logs every user out of one proxy with --proxy alone', async () => {
    const env = await loggedIn('127.0.0.1', 'localhost');
    const res = await tsh(['logout', `--proxy=localhost:${port}`], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'Logged out all users from localhost.\n');
    assert.deepEqual(await readdir(`${env.TELEPORT_HOME}/keys`), ['127.0.0.1']);
  });

  it('asks for --proxy when only --user is given', async () => {
    const env = await loggedIn('127.0.0.1');
    const res = await tsh(['logout', '--user=alice'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /to log out alice, also pass --proxy=<host:port>/);
    assert.equal((await tsh(['status'], env)).code, 0);
  });
});
