/**
 * @module backend/backendSuiteExpiry
 * Compliance tests for expiry, driven by the fake clock: expired items behave exactly as if deleted,
 * `create` may overwrite them, `purgeExpired` removes them, and `keepAlive` extends a live item's life.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBytes } from './backend.ts';
import { assertBytes, item, rangeKeys, rejectsWithCode, type WithBackend } from './backendSuiteHelpers.ts';

/** Defines the expiry, purge and keepAlive tests. */
export function expiryTests(withBackend: WithBackend): void {
  describe('expiry', () => {
    it('keeps an item visible until its expiry, then hides it', withBackend(async (b, clock) => {
      const expires = clock.nowMs() + 10_000;
      await b.create(item('/x/1', 'v', expires));
      clock.advance(9_999);
      assert.equal((await b.get('/x/1')).expires, expires);
      clock.advance(1); // expires <= now: gone
      await rejectsWithCode(b.get('/x/1'), 'not_found');
      assert.deepEqual(await rangeKeys(b, '/x/', '/x0'), []);
    }));

    it('treats expired items as missing for update, compareAndSwap, delete and keepAlive', withBackend(async (b, clock) => {
      const lease = await b.create(item('/x/1', 'v', clock.nowMs() + 1000));
      clock.advance(1000);
      await rejectsWithCode(b.update(item('/x/1', 'w')), 'not_found');
      await rejectsWithCode(b.compareAndSwap(item('/x/1', 'v'), item('/x/1', 'w')), 'not_found');
      await rejectsWithCode(b.delete('/x/1'), 'not_found');
      await rejectsWithCode(b.keepAlive(lease, clock.nowMs() + 1000), 'not_found');
      await rejectsWithCode(b.get('/x/1'), 'not_found');
    }));

    it('lets create and put overwrite an expired item', withBackend(async (b, clock) => {
      await b.create(item('/x/1', 'old', clock.nowMs() + 1000));
      await b.create(item('/x/2', 'old', clock.nowMs() + 1000));
      clock.advance(5000);
      await b.create(item('/x/1', 'new'));
      await b.put(item('/x/2', 'new', clock.nowMs() + 1000));
      const got = await b.get('/x/1');
      assertBytes(got.value, toBytes('new'));
      assert.equal(got.expires, undefined);
      assertBytes((await b.get('/x/2')).value, toBytes('new'));
    }));

    it('hides an item written with an expiry already in the past', withBackend(async (b, clock) => {
      await b.put(item('/x/1', 'v', clock.nowMs()));
      await rejectsWithCode(b.get('/x/1'), 'not_found');
      await b.create(item('/x/1', 'v2', clock.nowMs() - 1));
      await rejectsWithCode(b.get('/x/1'), 'not_found');
    }));

    it('update and compareAndSwap can clear an expiry', withBackend(async (b, clock) => {
      await b.create(item('/x/1', 'a', clock.nowMs() + 1000));
      await b.update(item('/x/1', 'b'));
      await b.create(item('/x/2', 'a', clock.nowMs() + 1000));
      await b.compareAndSwap(item('/x/2', 'a'), item('/x/2', 'b'));
      clock.advance(10_000);
      assert.deepEqual(await rangeKeys(b, '/x/', '/x0'), ['/x/1', '/x/2']);
    }));
  });

  describe('purgeExpired', () => {
    it('deletes only expired items and returns how many', withBackend(async (b, clock) => {
      await b.put(item('/x/1', 'v', clock.nowMs() + 1000));
      await b.put(item('/x/2', 'v', clock.nowMs() + 2000));
      await b.put(item('/x/3', 'v'));
      assert.equal(await b.purgeExpired(), 0);
      clock.advance(1500);
      assert.equal(await b.purgeExpired(), 1);
      assert.equal(await b.purgeExpired(), 0);
      assert.deepEqual(await rangeKeys(b, '/x/', '/x0'), ['/x/2', '/x/3']);
      clock.advance(1000);
      assert.equal(await b.purgeExpired(), 1);
      assert.deepEqual(await rangeKeys(b, '/x/', '/x0'), ['/x/3']);
    }));
  });

  describe('keepAlive', () => {
    it('extends the life of a live item with a new revision', withBackend(async (b, clock) => {
      const lease = await b.create(item('/h/1', 'heartbeat', clock.nowMs() + 10_000));
      clock.advance(5_000);
      await b.keepAlive(lease, clock.nowMs() + 10_000);
      clock.advance(9_000); // 14s after create: past the first expiry, within the new one
      const got = await b.get('/h/1');
      assertBytes(got.value, toBytes('heartbeat'));
      assert.equal(got.expires, clock.nowMs() + 1_000);
      assert.notEqual(got.revision, lease.revision);
      clock.advance(1_000);
      await rejectsWithCode(b.get('/h/1'), 'not_found');
    }));

    it('fails with NotFound for missing or deleted items', withBackend(async (b, clock) => {
      await rejectsWithCode(b.keepAlive({ key: '/h/none', revision: 'r' }, clock.nowMs() + 1000), 'not_found');
      const lease = await b.create(item('/h/1', 'v', clock.nowMs() + 1000));
      await b.delete('/h/1');
      await rejectsWithCode(b.keepAlive(lease, clock.nowMs() + 1000), 'not_found');
      await rejectsWithCode(b.get('/h/1'), 'not_found');
    }));

    it('keeps working after the item was rewritten (only the key matters)', withBackend(async (b, clock) => {
      const lease = await b.create(item('/h/1', 'v1', clock.nowMs() + 1000));
      await b.put(item('/h/1', 'v2', clock.nowMs() + 1000));
      await b.keepAlive(lease, clock.nowMs() + 5000);
      clock.advance(2000);
      assertBytes((await b.get('/h/1')).value, toBytes('v2'));
    }));
  });
}
