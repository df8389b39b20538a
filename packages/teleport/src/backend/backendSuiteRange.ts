/**
 * @module backend/backendSuiteRange
 * Compliance tests for range reads and range deletes: key order, half-open bounds, limits, prefixes read
 * through `rangeEnd`, and that neither operation touches keys outside its range.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangeEnd, toBytes, type Backend } from './backend.ts';
import { assertBytes, item, rangeKeys, type WithBackend } from './backendSuiteHelpers.ts';

/** Keys that sit around the "/p/" prefix, in the order a range read must return them. */
const AROUND_PREFIX = ['/p', '/p.', '/p/', '/p/a', '/p/a/b', '/p/b', '/p/z', '/p0', '/pa', '/q/a'];

async function seed(b: Backend, keys: string[]): Promise<void> {
  // Written in reverse so an implementation that returns insertion order fails.
  for (const k of [...keys].reverse()) await b.put(item(k, `value of ${k}`));
}

/** Defines the getRange and deleteRange tests. */
export function rangeTests(withBackend: WithBackend): void {
  describe('getRange', () => {
    it('returns items with start <= key < end in key order, with values and revisions', withBackend(async (b) => {
      await seed(b, AROUND_PREFIX);
      const { items } = await b.getRange('/p/a', '/p/z');
      assert.deepEqual(items.map((i) => i.key), ['/p/a', '/p/a/b', '/p/b']);
      for (const i of items) {
        assertBytes(i.value, toBytes(`value of ${i.key}`));
        assert.equal(i.revision, (await b.get(i.key)).revision);
      }
    }));

    it('reads exactly the keys under a prefix with rangeEnd', withBackend(async (b) => {
      await seed(b, AROUND_PREFIX);
      assert.equal(rangeEnd('/p/'), '/p0');
      assert.deepEqual(await rangeKeys(b, '/p/', rangeEnd('/p/')), ['/p/', '/p/a', '/p/a/b', '/p/b', '/p/z']);
      assert.deepEqual(await rangeKeys(b, '/p/a/', rangeEnd('/p/a/')), ['/p/a/b']);
      assert.deepEqual(await rangeKeys(b, '', rangeEnd('')), AROUND_PREFIX);
    }));

    it('does not treat SQL wildcards in a prefix as patterns', withBackend(async (b) => {
      await seed(b, ['/w/a_c', '/w/abc', '/w/a%c', '/w/aXc']);
      assert.deepEqual(await rangeKeys(b, '/w/a_', rangeEnd('/w/a_')), ['/w/a_c']);
      assert.deepEqual(await rangeKeys(b, '/w/a%', rangeEnd('/w/a%')), ['/w/a%c']);
    }));

    it('rangeEnd handles prefixes ending in astral characters', withBackend(async (b) => {
      await seed(b, ['/e/😀', '/e/😀/x', '/e/😁', '/e/\u{10ffff}x']);
      assert.deepEqual(await rangeKeys(b, '/e/😀', rangeEnd('/e/😀')), ['/e/😀', '/e/😀/x']);
      assert.deepEqual(await rangeKeys(b, '/e/\u{10ffff}', rangeEnd('/e/\u{10ffff}')), ['/e/\u{10ffff}x']);
    }));

    it('applies limit to the first items in order; 0 or absent means no limit', withBackend(async (b) => {
      await seed(b, AROUND_PREFIX);
      assert.deepEqual(await rangeKeys(b, '/p/', '/p0', 2), ['/p/', '/p/a']);
      assert.deepEqual(await rangeKeys(b, '/p/', '/p0', 1), ['/p/']);
      assert.equal((await rangeKeys(b, '/p/', '/p0', 0)).length, 5);
      assert.equal((await rangeKeys(b, '/p/', '/p0')).length, 5);
      assert.equal((await rangeKeys(b, '/p/', '/p0', 100)).length, 5);
    }));

    it('pages through a range with limit and a start just past the last key', withBackend(async (b) => {
      const keys = Array.from({ length: 25 }, (_, i) => `/page/${String(i).padStart(3, '0')}`);
      await seed(b, keys);
      const seen: string[] = [];
      let start = '/page/';
      for (;;) {
        const page = await rangeKeys(b, start, rangeEnd('/page/'), 10);
        seen.push(...page);
        if (page.length < 10) break;
        start = `${page[page.length - 1]}\u0001`;
      }
      assert.deepEqual(seen, keys);
    }));

    it('returns nothing for empty or inverted ranges', withBackend(async (b) => {
      await seed(b, AROUND_PREFIX);
      assert.deepEqual(await rangeKeys(b, '/p/a', '/p/a'), []);
      assert.deepEqual(await rangeKeys(b, '/p/z', '/p/a'), []);
      assert.deepEqual(await rangeKeys(b, '/x/', '/x0'), []);
    }));

    it('skips expired items, and does not count them against the limit', withBackend(async (b, clock) => {
      await b.put(item('/t/1', 'short', clock.nowMs() + 1000));
      await b.put(item('/t/2', 'forever'));
      await b.put(item('/t/3', 'short', clock.nowMs() + 1000));
      await b.put(item('/t/4', 'long', clock.nowMs() + 60_000));
      clock.advance(1000);
      assert.deepEqual(await rangeKeys(b, '/t/', '/t0'), ['/t/2', '/t/4']);
      assert.deepEqual(await rangeKeys(b, '/t/', '/t0', 1), ['/t/2']);
      assert.deepEqual(await rangeKeys(b, '/t/', '/t0', 2), ['/t/2', '/t/4']);
    }));
  });

  describe('deleteRange', () => {
    it('deletes exactly start <= key < end and leaves the rest', withBackend(async (b) => {
      await seed(b, AROUND_PREFIX);
      await b.deleteRange('/p/', rangeEnd('/p/'));
      assert.deepEqual(await rangeKeys(b, '', rangeEnd('')), ['/p', '/p.', '/p0', '/pa', '/q/a']);
      await b.deleteRange('/p.', '/pa');
      assert.deepEqual(await rangeKeys(b, '', rangeEnd('')), ['/p', '/pa', '/q/a']);
    }));

    it('succeeds when nothing matches', withBackend(async (b) => {
      await seed(b, ['/a/1']);
      await b.deleteRange('/b/', '/b0');
      await b.deleteRange('/z', '/a');
      assert.deepEqual(await rangeKeys(b, '', rangeEnd('')), ['/a/1']);
    }));

    it('also removes expired items, so a later create starts fresh', withBackend(async (b, clock) => {
      await b.put(item('/d/1', 'old', clock.nowMs() + 10));
      clock.advance(10);
      await b.deleteRange('/d/', '/d0');
      assert.equal(await b.purgeExpired(), 0);
      await b.create(item('/d/1', 'new'));
      assertBytes((await b.get('/d/1')).value, toBytes('new'));
    }));
  });
}
