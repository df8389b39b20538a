/**
 * @module integration/restart.test
 * `teleport start` as a real process: /healthz and /readyz on diag_addr, SIGTERM exits cleanly with
 * status 0 within seconds, and a restart on the same data dir keeps users, roles, the certificate
 * authorities (same CA pin and exported keys) and the audit log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthClient } from '../packages/api/src/client/authClient.ts';
import { loadIdentity } from '../packages/teleport/src/service/identityStore.ts';
import { runTctl } from '../packages/teleport/src/tool/tctl/main.ts';
import { describeResult, runCLI } from './helpers/cli.ts';
import { testConfigYAML } from './helpers/cluster.ts';
import { freePorts, spawnBin, waitExit, waitForHTTP, type BinProcess } from './helpers/subprocess.ts';
import { httpGet } from './helpers/web.ts';

const ROLE_YAML = `kind: role
version: v7
metadata:
  name: ops
  description: operators
spec:
  allow:
    logins: [ops]
    node_labels:
      env: staging
`;

describe('teleport start as a process: signals and restart', () => {
  let root: string;
  let configPath: string;
  let dataDir: string;
  let authAddr: string;
  let diagURL: string;
  let running: BinProcess | undefined;

  const tctl = (args: string[]) => runCLI(runTctl, ['-c', configPath, ...args]);

  /** Starts the daemon and waits until /readyz says every service is up. */
  async function start(): Promise<BinProcess> {
    running = spawnBin('teleport', ['start', '-c', configPath]);
    await waitForHTTP(`${diagURL}/readyz`, running);
    return running;
  }

  /** SIGTERM, then expect exit status 0 within a few seconds. */
  async function stop(p: BinProcess): Promise<void> {
    p.child.kill('SIGTERM');
    const { code, signal } = await waitExit(p, 8_000);
    assert.equal(signal, null, `killed by ${signal}; output:\n${p.output()}`);
    assert.equal(code, 0, `exit status ${code}; output:\n${p.output()}`);
    running = undefined;
  }

  /** Audit search through the API as the local admin (identity re-read: it is re-issued at start). */
  async function searchAudit(types: string[]) {
    const admin = await loadIdentity(dataDir, 'admin');
    const client = new AuthClient({ addr: authAddr, certPEM: admin.certPEM, keyPEM: admin.keyPEM, caCerts: admin.tlsCACerts });
    return (await client.searchEvents({ from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000), eventTypes: types, limit: 1000 })).events;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'tp-restart-'));
    dataDir = join(root, 'data');
    configPath = join(root, 'teleport.yaml');
    const [auth, web, diag, sshProxy] = await freePorts(4);
    authAddr = `127.0.0.1:${auth}`;
    diagURL = `http://127.0.0.1:${diag}`;
    await writeFile(configPath, testConfigYAML({ dataDir, authAddr, webAddr: `127.0.0.1:${web}`, sshProxyAddr: `127.0.0.1:${sshProxy}`, diagAddr: `127.0.0.1:${diag}` }));
  });
  after(async () => {
    await running?.kill();
    await rm(root, { recursive: true, force: true });
  });

  test('state survives SIGTERM and restart', async () => {
    const first = await start();

    const healthz = await httpGet(`${diagURL}/healthz`);
    assert.equal(healthz.status, 200);
    assert.deepEqual(JSON.parse(healthz.text), { status: 'ok' });
    const readyz = await httpGet(`${diagURL}/readyz`);
    assert.equal(readyz.status, 200, readyz.text);
    assert.equal((JSON.parse(readyz.text) as { status: string }).status, 'ok');

    const add = await tctl(['users', 'add', 'erin', '--roles=access', '--logins=erin']);
    assert.equal(add.code, 0, describeResult(add));
    const roleFile = join(root, 'role.yaml');
    await writeFile(roleFile, ROLE_YAML);
    const create = await tctl(['create', roleFile]);
    assert.equal(create.code, 0, describeResult(create));
    const statusBefore = await tctl(['status']);
    assert.equal(statusBefore.code, 0, describeResult(statusBefore));
    const pinBefore = /CA pin:\s+(sha256:[0-9a-f]{64})/.exec(statusBefore.stdout)?.[1];
    assert.ok(pinBefore, statusBefore.stdout);
    const exportBefore = await tctl(['auth', 'export']);
    const tlsBefore = await tctl(['auth', 'export', '--type=tls-user']);
    const eventsBefore = await searchAudit(['user.create', 'role.created']);
    assert.deepEqual(eventsBefore.map((e) => e.code).sort(), ['T1002I', 'T9000I']);

    await stop(first);
    await assert.rejects(fetch(`${diagURL}/healthz`), 'diag listener is closed after exit');
    await stat(join(dataDir, 'identity', 'admin.json'));

    const second = await start();
    const statusAfter = await tctl(['status']);
    assert.equal(statusAfter.code, 0, describeResult(statusAfter));
    assert.equal(/CA pin:\s+(sha256:[0-9a-f]{64})/.exec(statusAfter.stdout)?.[1], pinBefore, 'same host CA after restart');
    assert.equal((await tctl(['auth', 'export'])).stdout, exportBefore.stdout, 'same SSH CAs');
    assert.equal((await tctl(['auth', 'export', '--type=tls-user'])).stdout, tlsBefore.stdout, 'same user TLS CA');

    const user = await tctl(['get', 'user/erin', '--format=json']);
    assert.equal(user.code, 0, describeResult(user));
    const [erin] = JSON.parse(user.stdout) as Array<{ spec: { roles: string[]; traits: Record<string, string[]> } }>;
    assert.deepEqual(erin?.spec.roles, ['access']);
    assert.deepEqual(erin?.spec.traits.logins, ['erin']);
    const role = await tctl(['get', 'role/ops']);
    assert.equal(role.code, 0, describeResult(role));
    assert.match(role.stdout, /description: operators/);
    assert.match(role.stdout, /env: staging/);

    const eventsAfter = await searchAudit(['user.create', 'role.created']);
    const uids = new Set(eventsAfter.map((e) => e.uid));
    for (const e of eventsBefore) assert.ok(uids.has(e.uid), `event ${e.event} ${e.uid} from before the restart is searchable`);

    await stop(second);
  });
});
