/**
 * @module tool/tsh/login.test
 * `tsh login` against a real in-process cluster: password + OTP over piped stdin, the ~/.tsh layout
 * and file modes, usable certificates (mTLS to auth with the Ed25519 key), failures that write
 * nothing, --ttl, environment defaults and --out identity files.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { loadPrivateKey } from '@teleport-ts/api/identityFile';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { startTestCluster, tempHome, tsh, type TestCluster } from '../../testing/tshCluster.ts';
import { loadActiveCredentials } from './credentials.ts';
import { newContext } from './context.ts';

let cluster: TestCluster;
const homes: string[] = [];

async function home(): Promise<string> {
  const h = await tempHome();
  homes.push(h);
  return h;
}

/** Lists every file under dir with its mode, relative to dir. */
async function tree(dir: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const entry of await readdir(dir, { recursive: true })) out[entry] = (await stat(join(dir, entry))).mode & 0o777;
  return out;
}

before(async () => {
  cluster = await startTestCluster();
});
after(async () => {
  await cluster.close();
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

describe('tsh login', () => {
  it('logs in with password and OTP from a pipe, prints the status and saves the ~/.tsh layout', async () => {
    const alice = await cluster.addUser('alice', { roles: ['access', 'editor'], logins: ['alice', 'root'] });
    const h = await home();
    const env = { TELEPORT_HOME: h };
    const res = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=alice', '--insecure'], env, `${alice.password}\n${alice.otp()}\n`);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /WARNING: You are using insecure connection to Teleport proxy https:\/\/127\.0\.0\.1:\d+/);
    assert.match(res.stderr, /Enter password for Teleport user alice: \nEnter an OTP code from a device: \n/);
    assert.doesNotMatch(res.stderr + res.stdout, new RegExp(alice.password));
    assert.match(res.stdout, /^> Profile URL: +https:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(res.stdout, /Logged in as: +alice\n/);
    assert.match(res.stdout, /Cluster: +test\.example\.com\n/);
    assert.match(res.stdout, /Roles: +access, editor\n/);
    assert.match(res.stdout, /Logins: +alice, root\n/);
    assert.match(res.stdout, /Valid until: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC \[valid for 1[12]h\d+m0s\]\n/);

    const status = await tsh(['status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout, res.stdout);

    const files = await tree(h);
    for (const f of ['127.0.0.1.yaml', 'current-profile', 'known_hosts', 'keys/127.0.0.1/alice', 'keys/127.0.0.1/alice.pub',
      'keys/127.0.0.1/alice.crt', 'keys/127.0.0.1/alice-ssh/test.example.com-cert.pub', 'keys/127.0.0.1/cas/test.example.com.pem']) {
      assert.equal(files[f], 0o600, `${f} should exist with mode 0600 (have ${JSON.stringify(files)})`);
    }
    for (const d of ['keys', 'keys/127.0.0.1', 'keys/127.0.0.1/alice-ssh', 'keys/127.0.0.1/cas']) assert.equal(files[d], 0o700, d);
    assert.equal((await readFile(join(h, 'current-profile'), 'utf8')).trim(), '127.0.0.1');
    const profile = await readFile(join(h, '127.0.0.1.yaml'), 'utf8');
    assert.match(profile, new RegExp(`web_proxy_addr: ${cluster.webAddr}\n`));
    assert.match(profile, /user: alice\n/);
    assert.match(profile, /cluster: test\.example\.com\n/);
    assert.match(profile, /insecure: true\n/);
    const knownHosts = await readFile(join(h, 'known_hosts'), 'utf8');
    assert.match(knownHosts, /^@cert-authority 127\.0\.0\.1,test\.example\.com,\*\.test\.example\.com ssh-ed25519 AAAA\S+ type=host\n$/);
    assert.match(await readFile(join(h, 'keys/127.0.0.1/alice'), 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  it('issues an Ed25519 TLS certificate that authenticates to the auth service over mutual TLS', async () => {
    const bob = await cluster.addUser('bob');
    const env = { TELEPORT_HOME: await home() };
    assert.equal((await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=bob', '--insecure'], env, `${bob.password}\n${bob.otp()}\n`)).code, 0);
    const creds = await loadActiveCredentials(newContext({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env }), {});
    assert.equal(loadPrivateKey(creds.privateKeyPEM).asymmetricKeyType, 'ed25519');
    const [host, port] = (cluster.proc.authAddr ?? '').split(':');
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = connect({
        host, port: Number(port), servername: 'localhost', ALPNProtocols: ['h2'],
        cert: creds.tlsCert, key: privateKeyToPEM(loadPrivateKey(creds.privateKeyPEM)), ca: creds.tlsCAs,
      }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on('error', reject);
    });
    assert.equal(authorized, true);
  });

  it('refuses a wrong password or OTP code with the generic message and writes nothing', async () => {
    const carol = await cluster.addUser('carol');
    const h = await home();
    const base = ['login', `--proxy=${cluster.webAddr}`, '--user=carol', '--insecure'];
    const wrongPassword = await tsh(base, { TELEPORT_HOME: h }, `not the password\n${carol.otp()}\n`);
    assert.equal(wrongPassword.code, 1);
    assert.match(wrongPassword.stderr, /ERROR: invalid username, password or second factor\n$/);
    assert.equal(wrongPassword.stdout, '');
    const wrongCode = await tsh(base, { TELEPORT_HOME: h }, `${carol.password}\n000000\n`);
    assert.equal(wrongCode.code, 1);
    assert.match(wrongCode.stderr, /ERROR: invalid username, password or second factor\n$/);
    assert.deepEqual(await readdir(h), []);
  });

  it('reports a locked user after repeated failures', async () => {
    await cluster.addUser('dave');
    const h = await home();
    for (let i = 0; i < 5; i++) {
      await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=dave', '--insecure'], { TELEPORT_HOME: h }, 'wrong password\n123456\n');
    }
    const res = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=dave', '--insecure'], { TELEPORT_HOME: h }, 'wrong password\n123456\n');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /ERROR: user 'dave' is temporarily locked/);
    assert.deepEqual(await readdir(h), []);
  });

  it('honours --ttl and says when roles cap it', async () => {
    const erin = await cluster.addUser('erin');
    const env = { TELEPORT_HOME: await home() };
    const short = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=erin', '--insecure', '--ttl=5'], env, `${erin.password}\n${erin.otp()}\n`);
    assert.equal(short.code, 0, short.stderr);
    assert.match(short.stdout, /\[valid for [45]m0s\]/);
    assert.doesNotMatch(short.stderr, /NOTE/);
    const long = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=erin', '--insecure', '--ttl', '6000'], env, `${erin.password}\n${erin.otp()}\n`);
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stdout, /\[valid for (30h0m0s|29h59m0s)\]/, 'capped by the access role\'s max_session_ttl (30h)');
    assert.match(long.stderr, /NOTE: the certificate is valid for .*less than the 6000m asked for/);
    const bad = await tsh(['login', `--proxy=${cluster.webAddr}`, '--ttl=0'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /whole number of minutes/);
  });

  it('takes the proxy and user from TELEPORT_PROXY / TELEPORT_USER, then from the current profile', async () => {
    const frank = await cluster.addUser('frank');
    const h = await home();
    const first = await tsh(['login', '--insecure'], { TELEPORT_HOME: h, TELEPORT_PROXY: cluster.webAddr, TELEPORT_USER: 'frank' },
      `${frank.password}\n${frank.otp()}\n`);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Logged in as: +frank/);
    const again = await tsh(['login', '--insecure'], { TELEPORT_HOME: h }, `${frank.password}\n${frank.otp()}\n`);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Enter password for Teleport user frank:/);
    const none = await tsh(['login'], { TELEPORT_HOME: await home() });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no proxy address: pass --proxy=<host:port>/);
  });

  it('explains unreachable proxies, untrusted certificates and missing answers, writing nothing', async () => {
    const h = await home();
    const unreachable = await tsh(['login', '--proxy=127.0.0.1:1', '--user=x'], { TELEPORT_HOME: h });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /ERROR: cannot reach proxy 127\.0\.0\.1:1 \(ECONNREFUSED\): is the address right and the proxy running\?/);
    const untrusted = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=x'], { TELEPORT_HOME: h });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /certificate is not trusted.*--insecure for a self-signed test cluster/);
    const noOTP = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=x', '--insecure'], { TELEPORT_HOME: h }, 'password only\n');
    assert.equal(noOTP.code, 1);
    assert.match(noOTP.stderr, /ERROR: no OTP code given: the input ended/);
    assert.deepEqual(await readdir(h), []);
  });

  it('writes an identity file with --out instead of a profile, usable with tsh -i', async () => {
    const grace = await cluster.addUser('grace', { logins: ['grace'] });
    const h = await home();
    const out = join(h, 'grace.pem');
    const res = await tsh(['login', `--proxy=${cluster.webAddr}`, '--user=grace', '--insecure', '--ttl=60', '--out', out],
      { TELEPORT_HOME: h }, `${grace.password}\n${grace.otp()}\n`);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /The certificate has been written to .*grace\.pem/);
    assert.deepEqual(await readdir(h), ['grace.pem']);
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    const text = await readFile(out, 'utf8');
    assert.match(text, /^-----BEGIN OPENSSH PRIVATE KEY-----[\s\S]*ssh-ed25519-cert-v01@openssh\.com [\s\S]*@cert-authority 127\.0\.0\.1,/);
    const status = await tsh(['-i', out, 'status'], { TELEPORT_HOME: h });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /Logged in as: +grace\n/);
    assert.match(status.stdout, /\[valid for (1h0m0s|59m0s)\]/);
  });
});
