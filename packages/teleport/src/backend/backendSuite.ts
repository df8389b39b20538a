/**
 * @module backend/backendSuite
 * The one compliance suite every Backend implementation runs (memory, SQLite, later PostgreSQL). It is
 * backend-neutral: it uses only the Backend interface, an injected FakeClock for expiry, and timeouts on
 * watcher reads so change feeds that poll pass too. This file holds single-key semantics (CRUD, CAS,
 * keys and values, concurrency); ranges, expiry and watchers live in the sibling backendSuite*.ts files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBytes } from './backend.ts';
import { expiryTests } from './backendSuiteExpiry.ts';
import {
  assertBytes, item, rangeKeys, rejectsWithCode, withBackendFrom, type BackendFactory, type WithBackend,
} from './backendSuiteHelpers.ts';
import { rangeTests } from './backendSuiteRange.ts';
import { watcherTests } from './backendSuiteWatch.ts';

export type { BackendFactory } from './backendSuiteHelpers.ts';

/**
 * Defines the compliance tests for one implementation. `factory` must return a fresh, empty backend using
 * the given clock, with background purging disabled so tests decide when purgeExpired runs.
 */
export function runBackendSuite(name: string, factory: BackendFactory): void {
  const withBackend = withBackendFrom(factory);
  describe(`backend compliance: ${name}`, () => {
    crudTests(withBackend);
    compareAndSwapTests(withBackend);
    keysAndValuesTests(withBackend);
    rangeTests(withBackend);
    expiryTests(withBackend);
    watcherTests(withBackend);
  });
}

function crudTests(withBackend: WithBackend): void {
  describe('create, get, put, update, delete', () => {
    it('create stores an item that get returns with the lease revision', withBackend(async (b) => {
      const lease = await b.create(item('/a/1', 'one'));
      assert.equal(lease.key, '/a/1');
      const got = await b.get('/a/1');
      assert.equal(got.key, '/a/1');
      assertBytes(got.value, toBytes('one'));
      assert.equal(got.expires, undefined);
      assert.equal(got.revision, lease.revision);
      assert.ok(lease.revision.length > 0);
    }));

    it('create fails with AlreadyExists on a live key and leaves it unchanged', withBackend(async (b) => {
      await b.create(item('/a/1', 'one'));
      await rejectsWithCode(b.create(item('/a/1', 'two')), 'already_exists');
      assertBytes((await b.get('/a/1')).value, toBytes('one'));
    }));

    it('get of a missing key fails with NotFound', withBackend(async (b) => {
      await rejectsWithCode(b.get('/missing'), 'not_found');
    }));

    it('put creates and overwrites, with a new revision each time', withBackend(async (b) => {
      const l1 = await b.put(item('/a/1', 'one'));
      const l2 = await b.put(item('/a/1', 'two'));
      assert.notEqual(l1.revision, l2.revision);
      const got = await b.get('/a/1');
      assertBytes(got.value, toBytes('two'));
      assert.equal(got.revision, l2.revision);
    }));

    it('put replaces the expiry (absent means never expires)', withBackend(async (b, clock) => {
      await b.put(item('/a/1', 'one', clock.nowMs() + 1000));
      assert.equal((await b.get('/a/1')).expires, clock.nowMs() + 1000);
      await b.put(item('/a/1', 'two'));
      assert.equal((await b.get('/a/1')).expires, undefined);
    }));

    it('update overwrites an existing item and fails with NotFound on a missing one', withBackend(async (b) => {
      await rejectsWithCode(b.update(item('/a/1', 'one')), 'not_found');
      const l1 = await b.create(item('/a/1', 'one'));
      const l2 = await b.update(item('/a/1', 'two'));
      assert.notEqual(l1.revision, l2.revision);
      const got = await b.get('/a/1');
      assertBytes(got.value, toBytes('two'));
      assert.equal(got.revision, l2.revision);
    }));

    it('delete removes an item and fails with NotFound when it is missing', withBackend(async (b) => {
      await b.create(item('/a/1', 'one'));
      await b.delete('/a/1');
      await rejectsWithCode(b.get('/a/1'), 'not_found');
      await rejectsWithCode(b.delete('/a/1'), 'not_found');
      await b.create(item('/a/1', 'again'));
      assertBytes((await b.get('/a/1')).value, toBytes('again'));
    }));

    it('rejects invalid keys and values with BadParameter', withBackend(async (b) => {
      for (const bad of ['', 'a\0b', '/x\ud800y']) {
        await rejectsWithCode(b.put(item(bad, 'v')), 'bad_parameter');
        await rejectsWithCode(b.get(bad), 'bad_parameter');
      }
      await rejectsWithCode(b.put({ key: '/a', value: 'text' as unknown as Uint8Array }), 'bad_parameter');
      await rejectsWithCode(b.put({ key: '/a', value: toBytes('v'), expires: Number.NaN }), 'bad_parameter');
      await rejectsWithCode(b.getRange('/a', '/b', -1), 'bad_parameter');
    }));

    it('does not share value buffers with callers', withBackend(async (b) => {
      const value = toBytes('abc');
      await b.put({ key: '/a/1', value });
      value[0] = 0x7a;
      const got = await b.get('/a/1');
      assertBytes(got.value, toBytes('abc'));
      got.value[1] = 0x7a;
      assertBytes((await b.get('/a/1')).value, toBytes('abc'));
    }));

    it('fails every call after close, and close is idempotent', withBackend(async (b) => {
      await b.put(item('/a/1', 'one'));
      await b.close();
      await b.close();
      await assert.rejects(b.get('/a/1'));
      await assert.rejects(b.put(item('/a/2', 'two')));
      await assert.rejects(b.newWatcher());
    }));
  });
}

function compareAndSwapTests(withBackend: WithBackend): void {
  describe('compareAndSwap', () => {
    it('swaps when the stored value matches, with a new revision and expiry', withBackend(async (b, clock) => {
      const l1 = await b.create(item('/c/1', 'old'));
      const l2 = await b.compareAndSwap(item('/c/1', 'old'), item('/c/1', 'new', clock.nowMs() + 5000));
      assert.notEqual(l1.revision, l2.revision);
      const got = await b.get('/c/1');
      assertBytes(got.value, toBytes('new'));
      assert.equal(got.revision, l2.revision);
      assert.equal(got.expires, clock.nowMs() + 5000);
    }));

    it('fails with CompareFailed when the value differs, leaving it unchanged', withBackend(async (b) => {
      await b.create(item('/c/1', 'current'));
      await rejectsWithCode(b.compareAndSwap(item('/c/1', 'stale'), item('/c/1', 'new')), 'compare_failed');
      assertBytes((await b.get('/c/1')).value, toBytes('current'));
    }));

    it('compares byte for byte (prefixes, trailing bytes, case)', withBackend(async (b) => {
      await b.create({ key: '/c/1', value: new Uint8Array([1, 2, 3, 0]) });
      for (const expected of [[1, 2, 3], [1, 2, 3, 0, 0], [1, 2, 3, 1], []]) {
        await rejectsWithCode(
          b.compareAndSwap({ key: '/c/1', value: new Uint8Array(expected) }, item('/c/1', 'x')), 'compare_failed');
      }
      await b.put(item('/c/2', 'Value'));
      await rejectsWithCode(b.compareAndSwap(item('/c/2', 'value'), item('/c/2', 'x')), 'compare_failed');
      await b.compareAndSwap({ key: '/c/1', value: new Uint8Array([1, 2, 3, 0]) }, item('/c/1', 'ok'));
      assertBytes((await b.get('/c/1')).value, toBytes('ok'));
    }));

    it('fails with NotFound when the key is missing', withBackend(async (b) => {
      await rejectsWithCode(b.compareAndSwap(item('/c/1', 'a'), item('/c/1', 'b')), 'not_found');
      await rejectsWithCode(b.get('/c/1'), 'not_found');
    }));

    it('rejects mismatched keys with BadParameter', withBackend(async (b) => {
      await b.create(item('/c/1', 'a'));
      await rejectsWithCode(b.compareAndSwap(item('/c/1', 'a'), item('/c/2', 'b')), 'bad_parameter');
      await rejectsWithCode(b.get('/c/2'), 'not_found');
    }));

    it('lets exactly one of several concurrent swaps from the same value win', withBackend(async (b) => {
      await b.create(item('/c/1', 'start'));
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => b.compareAndSwap(item('/c/1', 'start'), item('/c/1', `w${i}`))));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'compare_failed');
      }
      assertBytes((await b.get('/c/1')).value, toBytes(`w${winners[0]}`));
    }));
  });
}

function keysAndValuesTests(withBackend: WithBackend): void {
  describe('keys and values', () => {
    it('stores arbitrary binary values exactly, including empty and large ones', withBackend(async (b) => {
      const all = new Uint8Array(256).map((_, i) => i);
      const large = new Uint8Array(1 << 20).map((_, i) => (i * 7919) & 0xff);
      const invalidUtf8 = new Uint8Array([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x00]);
      const cases: [string, Uint8Array][] = [
        ['/v/all', all], ['/v/empty', new Uint8Array(0)], ['/v/large', large], ['/v/utf8', invalidUtf8],
        ['/v/slice', all.subarray(10, 20)],
      ];
      for (const [key, value] of cases) await b.put({ key, value });
      for (const [key, value] of cases) assertBytes((await b.get(key)).value, value, key);
      const { items } = await b.getRange('/v/', '/v0');
      assert.equal(items.length, cases.length);
    }));

    it('round-trips keys with unusual characters', withBackend(async (b) => {
      const keys = [
        '/k/with space', "/k/quote'\"", '/k/percent%_under', '/k/back\\slash', '/k/new\nline', '/k/tab\t',
        '/k/ünïcödé', '/k/emoji😀', '/k/' + 'x'.repeat(1000), '/k//double', '/k/trailing/', 'no-leading-slash',
        '/k/\u0001control', '/k/\uffff',
      ];
      for (const k of keys) await b.create(item(k, k));
      for (const k of keys) assertBytes((await b.get(k)).value, toBytes(k), JSON.stringify(k));
      for (const k of keys) await b.delete(k);
      assert.deepEqual(await rangeKeys(b, '', '\u{10ffff}'), []);
    }));

    it('orders keys by Unicode code point (UTF-8 byte order)', withBackend(async (b) => {
      const sorted = ['/o/A', '/o/a', '/o/z', '/o/\u00e4', '/o/\ue000', '/o/\ufffd', '/o/\u{10000}', '/o/😀'];
      for (const k of [...sorted].reverse()) await b.put(item(k, 'v'));
      assert.deepEqual(await rangeKeys(b, '/o/', '/o0'), sorted);
      assert.deepEqual(await rangeKeys(b, '/o/\ufffd', '/o/\u{10001}'), ['/o/\ufffd', '/o/\u{10000}']);
    }));

    it('lets exactly one of several concurrent creates of a key win', withBackend(async (b) => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => b.create(item('/race/1', `v${i}`))));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      assert.equal(winners.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'already_exists');
      }
      const got = await b.get('/race/1');
      assertBytes(got.value, toBytes(`v${winners[0]}`));
      const winner = results[winners[0] as number];
      assert.ok(winner?.status === 'fulfilled');
      assert.equal(got.revision, winner.value.revision);
    }));
  });
}
