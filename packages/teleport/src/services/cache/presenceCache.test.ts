/**
 * @module services/cache/presenceCache.test
 * The presence cache's contract, run against the memory and SQLite backends with a fake clock:
 * writes and deletes are visible to the next read, expiry is applied on read, lists come in the
 * backend's key order, writes racing the initial load are not lost, an overflowing watcher is
 * replaced by a fresh load, and reads fall back to the backend until the cache is loaded.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import { NotFoundError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { Backend } from '../../backend/backend.ts';
import { MemoryBackend } from '../../backend/memory.ts';
import { openSQLiteBackend } from '../../backend/sqlite.ts';
import { PresenceService } from '../local/presence.ts';
import { PresenceCache } from './presenceCache.ts';
import { markShared, sharedJSON } from './sharedJSON.ts';

const root = mkdtempSync(join(tmpdir(), 'teleport-presence-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

type Open = (clock: FakeClock) => Promise<Backend>;

const backends: Array<[string, Open]> = [
  ['memory', async (clock) => new MemoryBackend({ clock, pollIntervalMs: 0 })],
  ['sqlite', (clock) => openSQLiteBackend({ path: join(root, `case-${++counter}`, 'sqlite.db'), clock, pollIntervalMs: 0 })],
];

function node(clock: FakeClock, name: string, ttlMs = 600_000, labels: Record<string, string> = {}): Server {
  return { kind: 'node', version: 'v2', metadata: { name, labels, expires: new Date(clock.nowMs() + ttlMs).toISOString() }, spec: { addr: '', hostname: `h-${name}` } };
}

function proxy(clock: FakeClock, name: string, ttlMs = 600_000): ProxyServer {
  return { kind: 'proxy', version: 'v2', metadata: { name, expires: new Date(clock.nowMs() + ttlMs).toISOString() }, spec: { hostname: name, addr: `${name}:3024` } };
}

const names = (list: Array<{ metadata: { name: string } }>): string[] => list.map((r) => r.metadata.name);

/** Waits (real time) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** A backend whose range reads can be held after (or before) reading, to stage races with the initial load. */
function gatedBackend(inner: Backend): { backend: Backend; ranges: string[]; hold(when: 'before' | 'after'): { reached: Promise<void>; release(): void } } {
  const ranges: string[] = [];
  let gate: { when: 'before' | 'after'; reached: () => void; wait: Promise<void> } | undefined;
  const backend = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'getRange') {
        return async (start: string, end: string, limit?: number) => {
          ranges.push(start);
          const g = gate;
          gate = undefined;
          if (g?.when === 'before') {
            g.reached();
            await g.wait;
          }
          const result = await target.getRange(start, end, limit);
          if (g?.when === 'after') {
            g.reached();
            await g.wait;
          }
          return result;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    backend, ranges,
    hold(when) {
      let reached!: () => void;
      let release!: () => void;
      const r = new Promise<void>((res) => (reached = res));
      gate = { when, reached, wait: new Promise<void>((res) => (release = res)) };
      return { reached: r, release };
    },
  };
}

for (const [label, open] of backends) {
  describe(`PresenceCache over ${label}`, () => {
    async function setup(opts: { queueSize?: number } = {}) {
      const clock = new FakeClock();
      const inner = await open(clock);
      const gated = gatedBackend(inner);
      const store = new PresenceService(inner);
      const cache = new PresenceCache({ backend: gated.backend, clock, retryMinMs: 5, retryMaxMs: 20, ...opts });
      return { clock, inner, store, cache, gated, async done() { await cache.close(); await inner.close(); } };
    }

    it('shows puts and deletes at the next read, without range reads', async () => {
      const s = await setup();
      s.cache.start();
      await s.cache.ready;
      const before = s.gated.ranges.length;
      await s.store.upsertNode(node(s.clock, 'n1', 600_000, { env: 'dev' }));
      await s.store.upsertProxy(proxy(s.clock, 'p1'));
      assert.deepEqual(names(await s.cache.listNodes()), ['n1']);
      assert.equal((await s.cache.getNode('n1')).metadata.labels?.env, 'dev');
      assert.equal((await s.cache.getProxy('p1')).spec.addr, 'p1:3024');
      await s.store.upsertNode(node(s.clock, 'n1', 600_000, { env: 'prod' }));
      assert.equal((await s.cache.getNode('n1')).metadata.labels?.env, 'prod');
      assert.ok((await s.cache.getNode('n1')).metadata.revision, 'reads carry the revision');
      await s.store.deleteNode('n1');
      await assert.rejects(s.cache.getNode('n1'), (e) => e instanceof NotFoundError && /node 'n1' not found/.test(e.message));
      assert.deepEqual(await s.cache.listNodes(), []);
      assert.deepEqual(names(await s.cache.listProxies()), ['p1']);
      assert.equal(s.gated.ranges.length, before, 'served from memory');
      await s.done();
    });

    it('drops records whose TTL ran out, by the injected clock, before any purge', async () => {
      const s = await setup();
      s.cache.start();
      await s.cache.ready;
      await s.store.upsertNode(node(s.clock, 'short', 60_000));
      await s.store.upsertNode(node(s.clock, 'long', 600_000));
      await s.store.upsertProxy(proxy(s.clock, 'p', 60_000));
      s.clock.advance(60_000);
      assert.deepEqual(names(await s.cache.listNodes()), ['long']);
      await assert.rejects(s.cache.getNode('short'), NotFoundError);
      await assert.rejects(s.cache.getProxy('p'), NotFoundError);
      // A heartbeat brings a record back.
      await s.store.upsertNode(node(s.clock, 'short', 60_000));
      assert.deepEqual(names(await s.cache.listNodes()), ['long', 'short']);
      await s.done();
    });

    it('lists in the backend\'s key order', async () => {
      const s = await setup();
      s.cache.start();
      await s.cache.ready;
      for (const n of ['b', 'a-1', 'B', 'a', 'é', '10', '9', 'a_1', '\u{1F600}', '\uFFFD']) await s.store.upsertNode(node(s.clock, n));
      assert.deepEqual(names(await s.cache.listNodes()), names(await s.store.listNodes()));
      await s.done();
    });

    for (const when of ['before', 'after'] as const) {
      it(`keeps writes made while the initial range read runs (${when} it reads)`, async () => {
        const s = await setup();
        for (const n of ['keep', 'gone', 'changed']) await s.store.upsertNode(node(s.clock, n, 600_000, { v: '1' }));
        const gate = s.gated.hold(when);
        s.cache.start();
        await gate.reached;
        await s.store.deleteNode('gone');
        await s.store.upsertNode(node(s.clock, 'changed', 600_000, { v: '2' }));
        await s.store.upsertNode(node(s.clock, 'new', 600_000, { v: '2' }));
        gate.release();
        await s.cache.ready;
        const list = await s.cache.listNodes();
        assert.deepEqual(names(list), ['changed', 'keep', 'new']);
        assert.deepEqual(list.map((n) => n.metadata.labels?.v), ['2', '1', '2']);
        await s.done();
      });
    }

    it('reads from the backend until loaded, and reloads after its watcher overflows', async () => {
      const s = await setup({ queueSize: 2 });
      await s.store.upsertNode(node(s.clock, 'n0'));
      assert.deepEqual(names(await s.cache.listNodes()), ['n0'], 'not started: falls back');
      const gate = s.gated.hold('after');
      s.cache.start();
      await gate.reached;
      // Three events while the load is held overflow a queue of two.
      await Promise.all(['n1', 'n2', 'n3'].map((n) => s.store.upsertNode(node(s.clock, n))));
      assert.equal(s.cache.isLive, false);
      gate.release();
      await s.cache.ready;
      await until(() => s.cache.isLive, 'the cache to reload');
      assert.deepEqual(names(await s.cache.listNodes()), ['n0', 'n1', 'n2', 'n3']);
      assert.ok(s.gated.ranges.filter((r) => r === '/nodes/default/').length >= 3, 'fallback read, first load, and the reload');
      await s.done();
    });

    it('hands out frozen shared records and stops when the backend closes', async () => {
      const s = await setup();
      await s.store.upsertNode(node(s.clock, 'n1'));
      s.cache.start();
      await s.cache.ready;
      const n = await s.cache.getNode('n1');
      assert.throws(() => {
        (n.metadata as { name: string }).name = 'x';
      }, TypeError);
      await s.inner.close();
      await until(() => !s.cache.isLive, 'the cache to notice the closed backend');
      await assert.rejects(s.cache.listNodes(), /closed/);
      await s.cache.close();
    });

    it('keeps the JSON text of each cached record until a heartbeat replaces it', async () => {
      const s = await setup();
      await s.store.upsertNode(node(s.clock, 'n1', 600_000, { env: 'a' }));
      s.cache.start();
      await s.cache.ready;
      const [first] = await s.cache.listNodes();
      assert.ok(first);
      assert.equal(sharedJSON(first), JSON.stringify(first));
      assert.equal(sharedJSON(first), sharedJSON((await s.cache.listNodes())[0] as Server), 'same text for the same object');
      await s.store.upsertNode(node(s.clock, 'n1', 600_000, { env: 'b' }));
      const [next] = await s.cache.listNodes();
      assert.ok(next && next !== first, 'a write replaces the object');
      assert.equal(sharedJSON(next), JSON.stringify(next));
      assert.match(sharedJSON(next), /"env":"b"/);
      await s.done();
    });
  });
}

describe('sharedJSON', () => {
  it('memoises only registered frozen objects', () => {
    const mutable = { a: 1 };
    assert.equal(sharedJSON(mutable), '{"a":1}');
    mutable.a = 2;
    assert.equal(sharedJSON(mutable), '{"a":2}', 'an unregistered object is stringified every time');
    assert.throws(() => markShared({ a: 1 }), TypeError);
    let reads = 0;
    const frozen = Object.freeze({
      get a(): number {
        reads++;
        return 1;
      },
    });
    markShared(frozen);
    assert.equal(sharedJSON(frozen), '{"a":1}');
    assert.equal(sharedJSON(frozen), '{"a":1}');
    assert.equal(reads, 1, 'a registered object is stringified once');
  });
});
