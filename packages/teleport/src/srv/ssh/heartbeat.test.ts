/**
 * @module srv/ssh/heartbeat.test
 * The node's presence: its `node` record with static and command labels (refreshed while it runs,
 * matched by RBAC), and a graceful close that ends sessions with a message and removes the node
 * record and the session trackers. Also the pure parts: command label runs and record building.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventCodes } from '@teleport-ts/api/events/codes';
import { isNotFound } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { silentLogger } from '../../utils/logger.ts';
import { nodeRecord } from './heartbeat.ts';
import { CommandLabels, runCommand } from './labels.ts';
import {
  addRole, addUserWithCert, canRunNodeTests, eventually, OSUsers, runSSH, sshArgs, startNodeTestEnv, type NodeTestEnv,
} from './testkit.ts';

describe('command labels and node records', () => {
  test('a command label is its trimmed output; failures and timeouts say so', async () => {
    assert.deepEqual(await runCommand(['echo', '  v1  '], 1000), { ok: true, value: 'v1' });
    const failed = await runCommand(['sh', '-c', 'echo partial; exit 2'], 1000);
    assert.equal(failed.ok, false);
    assert.match(failed.value, /output: partial/);
    assert.match((await runCommand(['sleep', '5'], 100)).value, /timed out after 100 ms/);
  });

  test('labels re-run on their period and report changes', async () => {
    let changes = 0;
    const labels = new CommandLabels([{ name: 'n', command: ['sh', '-c', 'date +%s%N'], periodMs: 100 }], { logger: silentLogger, onChange: () => changes++ });
    await labels.start();
    const first = labels.values().n;
    await eventually(() => labels.values().n !== first, 'the label to change');
    labels.stop();
    assert.ok(changes >= 2);
    assert.equal(labels.cmdLabels().n?.period, '0s');
  });

  test('the node record carries labels, command labels, address and a TTL', () => {
    const r = nodeRecord({ hostId: 'h1', nodeName: 'n1', addr: '127.0.0.1:3022', labels: { a: 'b' }, cmdLabels: {}, version: '1.0' }, 0, 600_000);
    assert.deepEqual(r, {
      kind: 'node', version: 'v2', metadata: { name: 'h1', labels: { a: 'b' }, expires: '1970-01-01T00:10:00.000Z' },
      spec: { addr: '127.0.0.1:3022', hostname: 'n1', version: '1.0' },
    });
  });

  test('a tunnel-only node is recorded without an address and with use_tunnel', () => {
    const r = nodeRecord({ hostId: 'h2', nodeName: 'n2', addr: '', useTunnel: true, labels: {}, cmdLabels: {}, version: '1.0' }, 0);
    assert.deepEqual(r.spec, { addr: '', hostname: 'n2', use_tunnel: true, version: '1.0' });
  });
});

describe('node service: heartbeat and shutdown', { skip: !canRunNodeTests && 'needs root and the OpenSSH client' }, () => {
  let env: NodeTestEnv;
  const users = new OSUsers();

  before(async () => {
    env = await startNodeTestEnv({
      labels: { env: 'staging' },
      commands: [{ name: 'arch', command: ['uname', '-m'], periodMs: 60_000 }, { name: 'tier', command: ['echo', 'gold'], periodMs: 60_000 }],
      heartbeatIntervalMs: 200,
    });
  });
  after(async () => {
    await env?.close().catch(() => undefined);
    users.cleanup();
  });

  const getNode = () => env.t.services.presence.getNode(env.hostId) as Promise<Server>;

  test('publishes the node with static and command labels and keeps it fresh', async () => {
    const n = await getNode();
    assert.equal(n.spec.hostname, 'node1');
    assert.equal(n.spec.addr, `127.0.0.1:${env.node.address.port}`);
    assert.deepEqual(n.metadata.labels, { env: 'staging' });
    assert.equal(n.spec.cmd_labels?.tier?.result, 'gold');
    assert.deepEqual(n.spec.cmd_labels?.tier?.command, ['echo', 'gold']);
    assert.equal(n.spec.cmd_labels?.tier?.period, '1m0s');
    assert.ok(n.spec.cmd_labels?.arch?.result);
    const expires = Date.parse(n.metadata.expires ?? '');
    assert.ok(expires > Date.now() + 9 * 60_000);
    await eventually(async () => Date.parse((await getNode()).metadata.expires ?? '') > expires, 'a fresher heartbeat');
  });

  test('RBAC matches command labels', async () => {
    const login = users.create('hb');
    await addRole(env, 'gold-only', { allow: { logins: ['{{internal.logins}}'], node_labels: { tier: 'gold' } } });
    await addRole(env, 'silver-only', { allow: { logins: ['{{internal.logins}}'], node_labels: { tier: 'silver' } } });
    const gold = await addUserWithCert(env, 'goldie', ['gold-only'], [login]);
    const silver = await addUserWithCert(env, 'silvio', ['silver-only'], [login]);
    assert.equal((await runSSH(sshArgs(env, gold, login, [], ['true']))).code, 0);
    const res = await runSSH(sshArgs(env, silver, login, [], ['true']));
    assert.equal(res.code, 255);
    assert.match(res.stderr, /access denied/);
  });

  test('a graceful close ends sessions with a message and removes the node and trackers', async () => {
    const login = users.create('sd');
    await addRole(env, 'all', { allow: { logins: ['{{internal.logins}}'], node_labels: { '*': '*' } } });
    const creds = await addUserWithCert(env, 'shut', ['all'], [login]);
    const child = spawn('ssh', sshArgs(env, creds, login, [], ['echo up; sleep 30']), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await eventually(() => out.includes('up'), 'the session to start');
    const sid = (await env.waitEvent(EventCodes.sessionStart, (e) => e.user === 'shut')).sid as string;
    await eventually(async () => (await env.authClient.listResources<SessionTracker>('session_tracker')).some((t) => t.metadata.name === sid), 'the tracker');
    await env.node.close({ graceful: true });
    assert.notEqual(await exited, 0);
    assert.match(err, /the node node1 is shutting down/);
    await assert.rejects(getNode(), (e: unknown) => isNotFound(e));
    assert.equal((await env.authClient.listResources<SessionTracker>('session_tracker')).length, 0);
    await env.waitEvent(EventCodes.sessionEnd, (e) => e.sid === sid);
  });
});
