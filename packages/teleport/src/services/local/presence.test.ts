/**
 * Presence storage: nodes and session trackers expire with their TTL and can be listed and removed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { isNotFound } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import { MemoryBackend } from '../../backend/memory.ts';
import { PresenceService } from './presence.ts';

function node(name: string, expires: Date): Server {
  return { kind: 'node', version: 'v2', metadata: { name, labels: { env: 'dev' }, expires: expires.toISOString() }, spec: { addr: '127.0.0.1:3022', hostname: `host-${name}` } };
}

describe('PresenceService', () => {
  it('stores nodes until their heartbeat TTL runs out', async () => {
    const clock = new FakeClock();
    const p = new PresenceService(new MemoryBackend({ clock, pollIntervalMs: 0 }));
    await p.upsertNode(node('a', new Date(clock.nowMs() + 60_000)));
    await p.upsertNode(node('b', new Date(clock.nowMs() + 600_000)));
    assert.deepEqual((await p.listNodes()).map((n) => n.metadata.name), ['a', 'b']);
    clock.advance(120_000);
    assert.deepEqual((await p.listNodes()).map((n) => n.metadata.name), ['b']);
    await p.deleteNode('b');
    assert.equal((await p.listNodes()).length, 0);
    await assert.rejects(p.getNode('b'), (e) => isNotFound(e) && /node 'b'/.test((e as Error).message));
  });

  it('stores proxies under /proxies/<host-uuid> until their TTL runs out', async () => {
    const clock = new FakeClock();
    const backend = new MemoryBackend({ clock, pollIntervalMs: 0 });
    const p = new PresenceService(backend);
    const proxy = (name: string, ttlMs: number): ProxyServer => ({
      kind: 'proxy', version: 'v2', metadata: { name, expires: new Date(clock.nowMs() + ttlMs).toISOString() },
      spec: { hostname: `proxy-${name}`, addr: `${name}.example.com:3024`, public_addr: `${name}.example.com:3080`, version: '1.0.0' },
    });
    await p.upsertProxy(proxy('p1', 60_000));
    await p.upsertProxy(proxy('p2', 600_000));
    assert.equal((await backend.get('/proxies/p1')).key, '/proxies/p1');
    assert.equal((await p.getProxy('p1')).spec.addr, 'p1.example.com:3024');
    assert.deepEqual((await p.listProxies()).map((x) => x.metadata.name), ['p1', 'p2']);
    clock.advance(120_000);
    assert.deepEqual((await p.listProxies()).map((x) => x.metadata.name), ['p2']);
    await p.deleteProxy('p2');
    await assert.rejects(p.getProxy('p2'), (e) => isNotFound(e) && /proxy 'p2'/.test((e as Error).message));
    await assert.rejects(p.upsertProxy({ ...proxy('x', 1), kind: 'node' } as unknown as ProxyServer), /kind proxy/);
  });

  it('stores session trackers', async () => {
    const p = new PresenceService(new MemoryBackend({ pollIntervalMs: 0 }));
    const t: SessionTracker = {
      kind: 'session_tracker', version: 'v1', metadata: { name: 's1' },
      spec: { session_id: 's1', kind: 'ssh', state: 'running', created: new Date().toISOString(), target_id: 'a', hostname: 'h', address: '', login: 'root', host_user: 'alice', cluster_name: 'c', participants: [], interactive: true },
    };
    await p.upsertSessionTracker(t);
    assert.equal((await p.getSessionTracker('s1')).spec.host_user, 'alice');
    assert.equal((await p.listSessionTrackers()).length, 1);
    await p.deleteSessionTracker('s1');
    assert.equal((await p.listSessionTrackers()).length, 0);
  });
});
