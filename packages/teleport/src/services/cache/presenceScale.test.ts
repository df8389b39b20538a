/**
 * @module services/cache/presenceScale.test
 * A thousand nodes heartbeating into one auth server while users list them. Listing must be served
 * by auth's presence cache: no range read of the nodes prefix (and no point read of a node) reaches
 * the backend per list or get, yet every heartbeat, RBAC filter and expiry shows at once.
 *
 * Most heartbeats call AuthWithRoles directly with each node's builtin context (validation, the
 * own-record rule and storage all run; 1,000 node certificates and TLS calls would only add
 * certificate issuance and handshakes to the run time). A handful of nodes and the admin listing go
 * through the real mTLS API to show the path is the same. The test asserts behaviour, not time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { newRole } from '@teleport-ts/api/types/validate/role';
import type { Backend } from '../../backend/backend.ts';
import { MemoryBackend } from '../../backend/memory.ts';
import { MemoryAuditLog } from '../../events/memoryLog.ts';
import { MemoryRecordingStore } from '../../events/memoryRecordingStore.ts';
import { AuthServer } from '../../auth/authServer.ts';
import { AuthWithRoles } from '../../auth/authWithRoles.ts';
import { initAuthState } from '../../auth/init.ts';
import { addUser, asUser, builtinContext, TEST_CLUSTER, startTestAuthTLS } from '../../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../../auth/tlsServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { silentLogger } from '../../utils/logger.ts';
import { LocalServices } from '../local/index.ts';
import { NODES_PREFIX } from '../local/presence.ts';

const NODES = 1000;
const TLS_NODES = 5;

/** Wraps a backend and records range reads and point reads by key. */
function countingBackend(inner: Backend): { backend: Backend; calls: string[] } {
  const calls: string[] = [];
  const backend = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'getRange' && prop !== 'get') return fn;
      return (...args: unknown[]) => {
        calls.push(`${prop} ${String(args[0])}`);
        return fn(...args);
      };
    },
  });
  return { backend, calls };
}

let clock: FakeClock;
let auth: AuthServer;
let server: AuthTLSServer;
let calls: string[];
let tlsNodes: AuthClient[];
let admin: AuthClient;

const nodeId = (i: number): string => `node-${String(i).padStart(4, '0')}`;

function nodeRecord(i: number, round: number): Server {
  return {
    kind: 'node', version: 'v2',
    metadata: { name: nodeId(i), labels: { env: i % 2 === 0 ? 'dev' : 'prod', round: String(round) }, expires: new Date(clock.nowMs() + 600_000).toISOString() },
    spec: { addr: `10.0.${Math.floor(i / 250)}.${i % 250}:3022`, hostname: `host-${i}` },
  };
}

/** One heartbeat of nodes `from..NODES-1`: the first TLS_NODES over mTLS, the rest through AuthWithRoles. */
async function heartbeat(round: number, from = 0): Promise<void> {
  const jobs: Array<() => Promise<unknown>> = [];
  for (let i = from; i < NODES; i++) {
    const rec = nodeRecord(i, round);
    const c = tlsNodes[i];
    jobs.push(c ? () => c.upsertResource(rec) : () => new AuthWithRoles(auth, builtinContext('Node', nodeId(i))).upsertResource(rec));
  }
  for (let i = 0; i < jobs.length; i += 100) await Promise.all(jobs.slice(i, i + 100).map((j) => j()));
}

/** Backend reads of node records since `mark`. */
const nodeReads = (mark: number): string[] => calls.slice(mark).filter((c) => c.includes(NODES_PREFIX));

before(async () => {
  clock = new FakeClock(Date.now());
  const counted = countingBackend(new MemoryBackend({ clock, pollIntervalMs: 0 }));
  calls = counted.calls;
  const services = new LocalServices(counted.backend);
  await initAuthState({ services, clusterName: TEST_CLUSTER, clock, logger: silentLogger, algorithms: { ssh: 'ed25519', tls: 'ecdsa-p256' } });
  auth = new AuthServer({
    services, audit: new MemoryAuditLog({ clusterName: TEST_CLUSTER, clock }), clock, logger: silentLogger, clusterName: TEST_CLUSTER,
    proxyPublicAddr: () => 'proxy.example.com:3080', recordings: new MemoryRecordingStore(),
  });
  server = await startTestAuthTLS(auth);
  const dial = async (hostId: string, role: string): Promise<AuthClient> => {
    const id = await issueLocalIdentity(auth, { hostId, nodeName: hostId, role, algorithm: 'ecdsa-p256' });
    return new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts, timeoutMs: 30_000 });
  };
  tlsNodes = await Promise.all(Array.from({ length: TLS_NODES }, (_, i) => dial(nodeId(i), 'Node')));
  admin = await dial('admin-host', 'Admin');
  await services.access.createRole(newRole('dev', { allow: { logins: ['dev'], node_labels: { env: 'dev' } } }));
  await addUser({ services }, 'dora', ['dev']);
  await addUser({ services }, 'alice', ['access'], { traits: { logins: ['alice'] } });
  await auth.presenceCache.ready;
});

after(async () => {
  await server.close();
  await auth.close();
});

describe(`${NODES} heartbeating nodes`, () => {
  it('are listed from the cache, filtered by RBAC, with no backend read per list', async () => {
    await heartbeat(1);
    assert.ok(auth.presenceCache.isLive);
    const dora = await asUser({ auth }, 'dora');
    const alice = await asUser({ auth }, 'alice');
    const mark = calls.length;
    for (let k = 0; k < 5; k++) {
      const seen = await dora.listResources('node');
      assert.equal(seen.length, NODES / 2);
      assert.ok(seen.every((n) => n.metadata.labels?.env === 'dev'));
    }
    assert.equal((await alice.listResources('nodes')).length, NODES);
    assert.equal((await admin.listResources('node')).length, NODES, 'through the mTLS API');
    assert.equal((await dora.getResource('node', nodeId(2))).metadata.name, nodeId(2));
    assert.deepEqual(nodeReads(mark), [], 'no range or point read of /nodes/ per list or get');
  });

  it('show the next heartbeat at once, still without backend reads', async () => {
    await heartbeat(2);
    const dora = await asUser({ auth }, 'dora');
    const mark = calls.length;
    const seen = await dora.listResources('node');
    assert.equal(seen.length, NODES / 2);
    assert.ok(seen.every((n) => n.metadata.labels?.round === '2'), 'every node shows its latest heartbeat');
    assert.deepEqual(seen.map((n) => n.metadata.name), [...seen.map((n) => n.metadata.name)].sort(), 'in key order');
    assert.deepEqual(nodeReads(mark), []);
  });

  it('drop nodes that stop heartbeating once their TTL passes', async () => {
    clock.advance(5 * 60_000);
    await heartbeat(3, 100); // nodes 0..99 go silent
    clock.advance(6 * 60_000);
    const mark = calls.length;
    const alice = await asUser({ auth }, 'alice');
    const seen = await alice.listResources('node');
    assert.equal(seen.length, NODES - 100);
    assert.equal(seen[0]?.metadata.name, nodeId(100));
    assert.deepEqual(nodeReads(mark), []);
  });

  it('still refuse a node writing another host\'s record', async () => {
    await assert.rejects(tlsNodes[0]!.upsertResource(nodeRecord(1, 4)), AccessDeniedError);
  });
});
