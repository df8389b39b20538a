/**
 * Presence storage: nodes and session trackers expire with their TTL and can be listed and removed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { isNotFound } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { SessionTracker } from '@teleport-ts/api/types/sessionTracker';
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
