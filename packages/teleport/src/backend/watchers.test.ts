/**
 * @module backend/watchers.test
 * Unit tests for the in-process watcher fan-out: bounded queues cut off slow consumers with an error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBytes, type BackendEvent } from './backend.ts';
import { WatcherHub } from './watchers.ts';

const put = (key: string): BackendEvent => ({ type: 'put', item: { key, value: toBytes('v') } });

describe('WatcherHub', () => {
  it('closes a watcher that falls more than queueSize events behind, with LimitExceeded', async () => {
    const hub = new WatcherHub(3);
    const slow = hub.add({ name: 'slow' });
    const fast = hub.add({ queueSize: 100 });
    hub.emit(['/1', '/2', '/3', '/4', '/5'].map(put));
    assert.equal(hub.size, 1, 'the slow watcher is unregistered');
    const it = slow.events();
    await assert.rejects(it.next(), (err: Error) => {
      assert.equal((err as { code?: string }).code, 'limit_exceeded');
      assert.match(err.message, /watcher slow fell more than 3 events behind/);
      return true;
    });
    assert.deepEqual(await it.next(), { done: true, value: undefined });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(((await fast.events().next()).value as BackendEvent).item.key);
    assert.deepEqual(keys, ['/1', '/2', '/3', '/4', '/5']);
  });

  it('never counts events handed straight to a waiting consumer', async () => {
    const hub = new WatcherHub(1);
    const w = hub.add();
    const it = w.events();
    for (let i = 0; i < 50; i++) {
      const next = it.next();
      hub.emit([put(`/${i}`)]);
      assert.equal(((await next).value as BackendEvent).item.key, `/${i}`);
    }
    assert.equal(hub.size, 1);
  });

  it('releases a waiting consumer when the watcher fails', async () => {
    const hub = new WatcherHub(1);
    const w = hub.add();
    const it = w.events();
    const pending = it.next();
    hub.emit([put('/a')]); // delivered to the waiter
    await pending;
    hub.emit([put('/b'), put('/c')]); // /c overflows
    await assert.rejects(it.next().then(() => it.next()), /fell more than 1 events behind/);
  });

  it('rejects a bad queue size', () => {
    assert.throws(() => new WatcherHub().add({ queueSize: 0 }), /queueSize/);
  });

  it('iterator return() closes the watcher', async () => {
    const hub = new WatcherHub();
    const w = hub.add();
    await w.events().return?.();
    assert.equal(hub.size, 0);
    hub.emit([put('/x')]);
    assert.deepEqual(await w.events().next(), { done: true, value: undefined });
  });
});
