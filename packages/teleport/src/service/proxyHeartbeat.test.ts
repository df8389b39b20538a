/**
 * @module service/proxyHeartbeat.test
 * Proxy presence end to end over the real mTLS auth API: the heartbeat announces the proxy record
 * and removes it on a graceful stop, and the watcher (as a node would run it) follows records
 * appearing, expiring by the clock and being deleted. Also the record's shape and that a failing
 * auth call is logged, not thrown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { ConnectionProblemError, NotFoundError } from '@teleport-ts/api/errors';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { Resource } from '@teleport-ts/api/types/resource';
import { newTestAuthServer, type TestAuth, startTestAuthTLS } from '../auth/testAuthServer.ts';
import type { AuthTLSServer } from '../auth/tlsServer.ts';
import { silentLogger } from '../utils/logger.ts';
import { issueLocalIdentity } from './localIdentity.ts';
import type { LocalIdentity } from './identityStore.ts';
import { ProxyHeartbeat, proxyRecord, type ProxyRecordFields } from './proxyHeartbeat.ts';
import { ProxyWatcher } from './proxyWatcher.ts';

const fields = (hostId: string): ProxyRecordFields => ({
  hostId, nodeName: `proxy-${hostId}`, tunnelAddr: `${hostId}.example.com:3024`, publicAddr: `${hostId}.example.com:3080`, version: '1.2.3',
});

async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('proxy record and heartbeat (no network)', () => {
  it('builds the record auth stores', () => {
    assert.deepEqual(proxyRecord(fields('p1'), 0, 600_000), {
      kind: 'proxy', version: 'v2', metadata: { name: 'p1', expires: '1970-01-01T00:10:00.000Z' },
      spec: { hostname: 'proxy-p1', addr: 'p1.example.com:3024', public_addr: 'p1.example.com:3080', version: '1.2.3' },
    });
    assert.equal(proxyRecord({ ...fields('p1'), publicAddr: '' }, 0).spec.public_addr, undefined);
  });

  it('logs failed announcements, keeps going, and deletes its own record on stop', async () => {
    const calls: string[] = [];
    let fail = true;
    const client = {
      async upsertResource<T extends Resource>(r: T): Promise<T> {
        calls.push(`upsert ${r.kind}/${r.metadata.name} ${r.metadata.expires}`);
        if (fail) throw new ConnectionProblemError('auth is down');
        return r;
      },
      async deleteResource(kind: string, name: string): Promise<void> {
        calls.push(`delete ${kind}/${name}`);
        throw new NotFoundError('gone already');
      },
    };
    const clock = new FakeClock(0);
    const hb = new ProxyHeartbeat({ authClient: client, clock, logger: silentLogger, fields: () => fields('p1'), ttlMs: 1000, intervalMs: 3_600_000 });
    await hb.start();
    fail = false;
    clock.advance(500);
    await hb.announce();
    await hb.stop({ deleteRecord: true });
    await hb.announce();
    assert.deepEqual(calls, [
      'upsert proxy/p1 1970-01-01T00:00:01.000Z',
      'upsert proxy/p1 1970-01-01T00:00:01.500Z',
      'delete proxy/p1',
    ]);
  });
});

describe('proxy presence over the auth API', () => {
  let t: TestAuth;
  let server: AuthTLSServer;
  let proxyId: LocalIdentity;
  let nodeId: LocalIdentity;

  const client = (id: LocalIdentity): AuthClient => {
    return new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts, timeoutMs: 10_000 });
  };

  before(async () => {
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()) });
    proxyId = await issueLocalIdentity(t.auth, { hostId: 'proxy-1', nodeName: 'proxy1', role: 'Proxy', algorithm: 'ecdsa-p256' });
    nodeId = await issueLocalIdentity(t.auth, { hostId: 'node-1', nodeName: 'node1', role: 'Node', algorithm: 'ecdsa-p256' });
    server = await startTestAuthTLS(t.auth);
  });

  after(async () => {
    await server.close();
    await t.auth.close();
  });

  it('announces, is watched, expires by the clock and is removed on a graceful stop', async () => {
    const watcher = new ProxyWatcher({ authClient: client(nodeId), clock: t.clock, logger: silentLogger, retryMinMs: 20 });
    const seen: string[][] = [];
    watcher.onChange((list) => seen.push(list.map((p) => p.metadata.name)));
    watcher.start();
    await watcher.ready;
    assert.deepEqual(watcher.proxies(), []);

    const hb = new ProxyHeartbeat({ authClient: client(proxyId), clock: t.clock, logger: silentLogger, fields: () => fields('proxy-1') });
    await hb.start();
    const stored = await t.auth.getResource('proxy', 'proxy-1') as ProxyServer;
    assert.equal(stored.spec.addr, 'proxy-1.example.com:3024');
    await eventually(() => watcher.proxies().length === 1, 'the watcher to see the proxy');
    assert.equal(watcher.proxies()[0]?.spec.public_addr, 'proxy-1.example.com:3080');
    assert.deepEqual(seen.at(-1), ['proxy-1']);

    // A second proxy that stops heartbeating drops out once its TTL passes, before any purge.
    await t.services.presence.upsertProxy(proxyRecord(fields('proxy-0'), t.clock.nowMs(), 60_000));
    await eventually(() => watcher.proxies().length === 2, 'the second proxy');
    assert.deepEqual(watcher.proxies().map((p) => p.metadata.name), ['proxy-0', 'proxy-1']);
    t.clock.advance(61_000);
    assert.deepEqual(watcher.proxies().map((p) => p.metadata.name), ['proxy-1']);

    await hb.stop({ deleteRecord: true });
    await eventually(() => watcher.proxies().length === 0, 'the deleted proxy to disappear');
    await assert.rejects(t.auth.getResource('proxy', 'proxy-1'), NotFoundError);
    await watcher.close();
  });
});
