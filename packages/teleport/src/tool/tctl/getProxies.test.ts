/**
 * @module tool/tctl/getProxies.test
 * `tctl get proxies`, `tctl get proxy/<id>` and the text table, run in-process against a real auth
 * API with an admin identity file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { FakeClock } from '@teleport-ts/api/clock';
import { writeIdentityFile } from '@teleport-ts/api/identityFile';
import { parseResources } from '@teleport-ts/api/types/parse';
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
  dir = await mkdtemp(join(tmpdir(), 'tctl-proxies-'));
  identity = join(dir, 'admin.id');
  await writeFile(identity, writeIdentityFile({ privateKeyPEM: admin.keyPEM, tlsCert: admin.certPEM, tlsCACerts: admin.tlsCACerts, sshCAKeys: [] }), { mode: 0o600 });
  for (const name of ['p2', 'p1']) {
    await t.services.presence.upsertProxy({
      kind: 'proxy', version: 'v2', metadata: { name, expires: new Date(t.clock.nowMs() + 600_000).toISOString() },
      spec: { hostname: `host-${name}`, addr: `${name}.example.com:3024`, public_addr: `${name}.example.com:443`, version: '1.0.0' },
    });
  }
});

after(async () => {
  await server.close();
  await t.auth.close();
  await rm(dir, { recursive: true, force: true });
});

describe('tctl get proxies', () => {
  it('prints every live proxy as YAML that parses back', async () => {
    const r = await tctl('get', 'proxies');
    assert.equal(r.code, 0, r.stderr);
    const list = parseResources(r.stdout, 'out.yaml');
    assert.deepEqual(list.map((p) => `${p.kind}/${p.metadata.name}`), ['proxy/p1', 'proxy/p2']);
  });

  it('prints one proxy, and a table', async () => {
    const one = await tctl('get', 'proxy/p2', '--format', 'json');
    assert.equal(one.code, 0, one.stderr);
    assert.equal((JSON.parse(one.stdout) as Array<{ spec: { addr: string } }>)[0]?.spec.addr, 'p2.example.com:3024');
    const table = await tctl('get', 'proxies', '--format', 'text');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Tunnel Address/);
    assert.match(table.stdout, /p1\s+host-p1\s+p1\.example\.com:3024\s+p1\.example\.com:443\s+1\.0\.0/);
  });

  it('says when a proxy does not exist', async () => {
    const r = await tctl('get', 'proxy/nope');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /proxy 'nope' not found/);
  });
});
