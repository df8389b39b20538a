/**
 * @module tool/tctl/authSignDb.test
 * `tctl auth sign --format=db`: a database server's key, a server certificate from the db CA with
 * the --host names as SANs, and the db CA file, run in-process against a real auth API.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FakeClock } from '@teleport-ts/api/clock';
import { writeIdentityFile } from '@teleport-ts/api/identityFile';
import { newTestAuthServer, type TestAuth, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { runTctl } from './main.ts';

let t: TestAuth;
let server: AuthTLSServer;
let dir: string;
let identity: string;

async function tctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  err.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await runTctl(['-i', identity, '--auth-server', `127.0.0.1:${server.address.port}`, ...args], {
    stdout: out, stderr: err, stdin: Readable.from([]), env: {},
  });
  return { code, stdout, stderr };
}

before(async () => {
  t = await newTestAuthServer({ clock: new FakeClock(Date.now()) });
  const admin = await issueLocalIdentity(t.auth, { hostId: 'admin-host', nodeName: 'auth', role: 'Admin', algorithm: 'ecdsa-p256' });
  server = await startTestAuthTLS(t.auth);
  dir = await mkdtemp(join(tmpdir(), 'tctl-sign-db-'));
  identity = join(dir, 'admin.id');
  await writeFile(identity, writeIdentityFile({ privateKeyPEM: admin.keyPEM, tlsCert: admin.certPEM, tlsCACerts: admin.tlsCACerts, sshCAKeys: [] }), { mode: 0o600 });
});

after(async () => {
  await server.close();
  await t.auth.close();
  await rm(dir, { recursive: true, force: true });
});

it('writes the key, a db CA server certificate with the hosts as SANs, and the db CA', async () => {
  const out = join(dir, 'server');
  const r = await tctl('auth', 'sign', '--format=db', '--host=db.example.com,localhost,127.0.0.1', '-o', out, '--ttl', '2190h');
  assert.equal(r.code, 0, r.stderr);
  const cert = new X509Certificate(await readFile(`${out}.crt`));
  const cas = await readFile(`${out}.cas`, 'utf8');
  assert.equal(cas.trim(), (await t.auth.keyring.tlsCerts('db')).join('\n').trim());
  assert.ok(cert.verify(new X509Certificate(cas).publicKey), 'signed by the db CA');
  assert.match(cert.subject, /CN=db.example.com/);
  assert.equal(cert.subjectAltName, 'DNS:db.example.com, DNS:localhost, IP Address:127.0.0.1');
  assert.ok(Date.parse(cert.validTo) > t.clock.nowMs() + 2000 * 3600_000);
  const key = createPrivateKey(await readFile(`${out}.key`));
  assert.equal(key.asymmetricKeyType, 'rsa');
  assert.ok(cert.checkPrivateKey(key));
  assert.equal((await stat(`${out}.key`)).mode & 0o777, 0o600);
  assert.match(r.stdout, /Configuring the database/);
});

it('needs --host for --format=db', async () => {
  const r = await tctl('auth', 'sign', '--format=db', '--user=alice', '-o', join(dir, 'x'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--format=db needs --host/);
});
