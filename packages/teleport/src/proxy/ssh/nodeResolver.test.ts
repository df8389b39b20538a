/**
 * @module proxy/ssh/nodeResolver.test
 * Node matching rules (hostname, UUID, `<name>.<cluster>`, address, case, ambiguity, expiry) and the
 * watch-fed cache over a scripted watch source: snapshot after "init", puts and deletes, falling
 * back to a direct list before the first snapshot, and reconnecting after the stream breaks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import type { WatchEventResult } from '@teleport-ts/api/client/authClient';
import { BadParameterError, ConnectionProblemError, NotFoundError } from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Server } from '@teleport-ts/api/types/server';
import { silentLogger } from '../../utils/logger.ts';
import { matchNode, NodeResolver, splitHostPort } from './nodeResolver.ts';
import type { WatchSource } from './resourceCache.ts';
import { eventually } from './testkit.ts';

const clock = new FakeClock(Date.UTC(2026, 0, 1));
const node = (name: string, hostname: string, addr: string, expiresInMs = 600_000): Server => ({
  kind: 'node', version: 'v2', metadata: { name, expires: new Date(clock.nowMs() + expiresInMs).toISOString() }, spec: { addr, hostname },
});
const a = node('uuid-a', 'web', '10.0.0.1:3022');
const b = node('uuid-b', 'web', '10.0.0.2:4022');
const db = node('uuid-db', 'DB-1', '10.0.0.3:3022');

describe('matchNode', () => {
  const nodes = [a, b, db];
  test('by UUID, hostname (any case), and either followed by .<cluster>', () => {
    assert.equal(matchNode(nodes, { host: 'uuid-a', port: 22 }, 'example.com'), a);
    assert.equal(matchNode(nodes, { host: 'db-1', port: 22 }, 'example.com'), db);
    assert.equal(matchNode(nodes, { host: 'DB-1.Example.com', port: 0 }, 'example.com'), db);
    assert.equal(matchNode(nodes, { host: 'uuid-b.example.com', port: 0 }, 'example.com'), b);
  });

  test('by registered address, with or without the port', () => {
    assert.equal(matchNode(nodes, { host: '10.0.0.3', port: 3022 }, 'example.com'), db);
    assert.equal(matchNode(nodes, { host: '10.0.0.2', port: 0 }, 'example.com'), b);
    assert.throws(() => matchNode(nodes, { host: '10.0.0.2', port: 22 }, 'example.com'), NotFoundError);
  });

  test('an ambiguous hostname lists the UUIDs, unless the port tells the nodes apart', () => {
    assert.throws(() => matchNode(nodes, { host: 'web', port: 22 }, 'example.com'), (err: Error) => {
      assert.ok(err instanceof BadParameterError);
      assert.match(err.message, /host 'web' matches 2 nodes \(uuid-a, uuid-b\): connect by node UUID instead/);
      return true;
    });
    assert.equal(matchNode(nodes, { host: 'web', port: 4022 }, 'example.com'), b);
  });

  test('an unknown name says how to list nodes', () => {
    assert.throws(() => matchNode(nodes, { host: 'db-7', port: 22 }, 'example.com'), /^NotFoundError: node 'db-7' not found; 'tsh ls' lists nodes$/);
  });

  test('splitHostPort', () => {
    assert.deepEqual(splitHostPort('h:22'), { host: 'h', port: 22 });
    assert.deepEqual(splitHostPort('h'), { host: 'h', port: 0 });
    assert.deepEqual(splitHostPort('[::1]:3022'), { host: '::1', port: 3022 });
  });
});

/** A watch source whose streams are driven by the test. */
class ScriptedSource implements WatchSource {
  nodes: Server[] = [];
  lists = 0;
  listFails = false;
  private push: ((e: WatchEventResult | Error) => void) | undefined;
  streams = 0;

  /** Sends an event (or an error that breaks the stream) to the open stream. */
  send(e: WatchEventResult | Error): void {
    assert.ok(this.push, 'no open stream');
    this.push(e);
  }

  listResources<T extends Resource>(): Promise<T[]> {
    this.lists++;
    if (this.listFails) return Promise.reject(new ConnectionProblemError('auth is down'));
    return Promise.resolve(this.nodes as unknown as T[]);
  }

  async *watchEvents(_kinds: string[], signal?: AbortSignal): AsyncGenerator<WatchEventResult> {
    this.streams++;
    const queue: (WatchEventResult | Error)[] = [];
    let wake: (() => void) | undefined;
    this.push = (e) => {
      queue.push(e);
      wake?.();
    };
    signal?.addEventListener('abort', () => wake?.());
    while (!signal?.aborted) {
      const e = queue.shift();
      if (!e) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (e instanceof Error) throw e;
      yield e;
    }
  }
}

describe('NodeResolver', () => {
  test('lists directly before the first snapshot, then follows the watch', async () => {
    const src = new ScriptedSource();
    src.nodes = [a];
    const r = new NodeResolver({ source: src, clusterName: 'example.com', clock, logger: silentLogger });
    try {
      assert.equal(await r.resolve({ host: 'uuid-a', port: 22 }), a);
      await eventually(() => (src.streams > 0 ? true : undefined), 'the watch to open');
      src.send({ type: 'init', kind: '', name: '' });
      await r.ready;
      src.send({ type: 'put', kind: 'node', name: db.metadata.name, resource: db });
      await eventually(() => r.nodes().find((n) => n.metadata.name === 'uuid-db'), 'the put');
      src.listFails = true; // from here on only the cache answers
      assert.equal(await r.resolve({ host: 'db-1', port: 22 }), db);
      src.send({ type: 'delete', kind: 'node', name: 'uuid-a' });
      await eventually(() => (r.nodes().some((n) => n.metadata.name === 'uuid-a') ? undefined : true), 'the delete');
      await assert.rejects(r.resolve({ host: 'uuid-a', port: 22 }), NotFoundError);
    } finally {
      await r.close();
    }
  });

  test('expired nodes are ignored; a broken stream is reopened and re-listed', async () => {
    const src = new ScriptedSource();
    src.nodes = [a, node('uuid-old', 'old', '10.0.0.9:3022', -1)];
    const r = new NodeResolver({ source: src, clusterName: 'example.com', clock, logger: silentLogger });
    try {
      await eventually(() => (src.streams > 0 ? true : undefined), 'the watch to open');
      src.send({ type: 'init', kind: '', name: '' });
      await r.ready;
      assert.deepEqual(r.nodes().map((n) => n.metadata.name), ['uuid-a']);
      src.nodes = [b];
      src.send(new ConnectionProblemError('stream reset'));
      await eventually(() => (src.streams > 1 ? true : undefined), 'the watch to reopen');
      src.send({ type: 'init', kind: '', name: '' });
      await eventually(() => (r.nodes()[0]?.metadata.name === 'uuid-b' ? true : undefined), 'the re-list');
    } finally {
      await r.close();
    }
  });
});
