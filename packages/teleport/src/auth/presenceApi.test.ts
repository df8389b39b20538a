/**
 * @module auth/presenceApi.test
 * The APIs SSH agents need: node heartbeats (own record only), per-user visibility of nodes and
 * sessions, recording upload/playback with participant checks, and resource watch streams over the
 * real mTLS listener.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient, type WatchEventResult } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError, NotFoundError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { LocalIdentity } from '../service/identityStore.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import type { AuthTLSServer } from './tlsServer.ts';
import { addUser, asBuiltin, asUser, newTestAuthServer, type TestAuth, startTestAuthTLS } from './testAuthServer.ts';

let t: TestAuth;
let server: AuthTLSServer;
let nodeId: LocalIdentity;
const clients: AuthClient[] = [];

function client(id: LocalIdentity): AuthClient {
  const c = new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts, timeoutMs: 10_000 });
  clients.push(c);
  return c;
}

function node(name: string, labels: Record<string, string>): Server {
  return {
    kind: 'node', version: 'v2',
    metadata: { name, labels, expires: new Date(t.clock.nowMs() + 600_000).toISOString() },
    spec: { addr: '127.0.0.1:3022', hostname: `host-${name.slice(0, 4)}` },
  };
}

function tracker(id: string, target: string, hostUser: string, login: string): SessionTracker {
  return {
    kind: 'session_tracker', version: 'v1', metadata: { name: id },
    spec: {
      session_id: id, kind: 'ssh', state: 'running', created: new Date().toISOString(), target_id: target, hostname: 'h', address: '',
      login, host_user: hostUser, cluster_name: 'example.com', participants: [{ user: hostUser, mode: 'peer', joined: '' }], interactive: true,
    },
  };
}

before(async () => {
  t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
  nodeId = await issueLocalIdentity(t.auth, { hostId: 'node-1', nodeName: 'node1', role: 'Node', algorithm: 'ecdsa-p256' });
  server = await startTestAuthTLS(t.auth);
  await t.services.access.createRole(newRole('dev', { allow: { logins: ['dev'], node_labels: { env: 'dev' } } }));
  await addUser(t, 'alice', ['access'], { traits: { logins: ['alice'] } });
  await addUser(t, 'dora', ['dev']);
  await addUser(t, 'aud', ['auditor']);
});

after(async () => {
  for (const c of clients) c.close();
  await server.close();
});

describe('node heartbeats', () => {
  it('let a node write its own record but not another host\'s', async () => {
    const api = client(nodeId);
    await api.upsertResource(node('node-1', { env: 'dev' }));
    await assert.rejects(api.upsertResource(node('node-2', { env: 'dev' })), AccessDeniedError);
    await t.services.presence.upsertNode(node('node-2', { env: 'prod' }));
  });

  it('show users only the nodes their roles let them log in to', async () => {
    const dora = await asUser(t, 'dora');
    assert.deepEqual((await dora.listResources('node')).map((n) => n.metadata.name), ['node-1']);
    await assert.rejects(dora.getResource('node', 'node-2'), NotFoundError);
    const alice = await asUser(t, 'alice');
    assert.deepEqual((await alice.listResources('nodes')).map((n) => n.metadata.name).sort(), ['node-1', 'node-2']);
  });
});

describe('session trackers', () => {
  it('are written by the node running them and visible to who could join', async () => {
    const api = client(nodeId);
    await api.upsertResource(tracker('sess-1', 'node-1', 'alice', 'dev'));
    await assert.rejects(api.upsertResource(tracker('sess-2', 'node-2', 'alice', 'dev')), AccessDeniedError);
    const dora = await asUser(t, 'dora');
    assert.deepEqual((await dora.listResources('session_tracker')).map((s) => s.metadata.name), ['sess-1']);
    const aud = await asUser(t, 'aud');
    assert.deepEqual(await aud.listResources('session_tracker'), []);
    await api.deleteResource('session_tracker', 'sess-1');
  });
});

describe('recordings', () => {
  it('are uploaded idempotently by services and readable by participants and auditors only', async () => {
    const api = client(nodeId);
    const rec = Buffer.from('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "hi"]\n');
    assert.equal(await api.uploadRecordingChunk({ sessionId: 'rec-1', offset: 0, data: rec.subarray(0, 20), participants: ['alice'] }), 20);
    assert.equal(await api.uploadRecordingChunk({ sessionId: 'rec-1', offset: 10, data: rec.subarray(10), final: true, participants: ['alice'] }), rec.length);
    const alice = await asUser(t, 'alice');
    const got = await alice.getRecording({ sessionId: 'rec-1', offset: 0, limit: 0 });
    assert.equal(Buffer.from(got.data).toString(), rec.toString());
    assert.equal(got.complete, true);
    await assert.rejects((await asUser(t, 'dora')).getRecording({ sessionId: 'rec-1', offset: 0, limit: 0 }), AccessDeniedError);
    assert.equal(Buffer.from((await (await asUser(t, 'aud')).getRecording({ sessionId: 'rec-1', offset: 0, limit: 5 })).data).toString(), '{"ver');
    await assert.rejects(asBuiltin(t, 'Node').getRecording({ sessionId: 'rec-1', offset: 0, limit: 0 }), AccessDeniedError);
    await assert.rejects((await asUser(t, 'alice')).uploadRecordingChunk({ sessionId: 'x', offset: 0, data: rec, final: false, participants: [] }), AccessDeniedError);
  });
});

describe('watch streams', () => {
  it('deliver init, then role puts and deletes, and CAs without private keys', async () => {
    const api = client(nodeId);
    const ctrl = new AbortController();
    const seen: WatchEventResult[] = [];
    const done = (async () => {
      for await (const e of api.watchEvents(['role', 'cert_authority'], ctrl.signal)) {
        seen.push(e);
        if (e.type === 'init') {
          await t.services.access.createRole(newRole('watched', { allow: { logins: ['x'] } }));
          await t.services.access.deleteRole('watched');
          const ca = await t.services.trust.getCertAuthority('host', 'example.com', true);
          await t.services.trust.upsertCertAuthority(ca);
        }
        if (e.kind === 'cert_authority') break;
      }
    })();
    await done;
    ctrl.abort();
    assert.deepEqual(seen.map((e) => `${e.type}:${e.kind}:${e.name}`), ['init::', 'put:role:watched', 'delete:role:watched', 'put:cert_authority:host/example.com']);
    assert.ok(!JSON.stringify(seen[3]?.resource).includes('PRIVATE KEY'));
  });

  it('outlive the client\'s call timeout', async () => {
    const c = new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: nodeId.certPEM, keyPEM: nodeId.keyPEM, caCerts: nodeId.tlsCACerts, timeoutMs: 300 });
    clients.push(c);
    const ctrl = new AbortController();
    const seen: string[] = [];
    for await (const e of c.watchEvents(['role'], ctrl.signal)) {
      seen.push(`${e.type}:${e.name}`);
      if (e.type !== 'init') break;
      // Longer than the client's timeout: a watch with the per-call deadline would have failed by now.
      await new Promise((r) => setTimeout(r, 900));
      await t.services.access.createRole(newRole('late', { allow: { logins: ['x'] } }));
    }
    ctrl.abort();
    assert.deepEqual(seen, ['init:', 'put:late']);
  });

  it('are refused to users and for kinds the service may not read', async () => {
    await assert.rejects(async () => {
      for await (const _ of (await asUser(t, 'alice')).watchEvents(['role'], new AbortController().signal)) break;
    }, AccessDeniedError);
    await assert.rejects(async () => {
      for await (const _ of client(nodeId).watchEvents(['token'])) break;
    }, AccessDeniedError);
  });
});
