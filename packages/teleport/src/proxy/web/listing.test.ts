/**
 * @module proxy/web/listing.test
 * Search, label selectors and key-based paging of the web API's lists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { encodeKey, matches, paginate, parseLabelQuery, parseLimit, parseListQuery } from './listing.ts';

const url = (qs: string) => new URL(`https://proxy/x?${qs}`);

describe('listing', () => {
  it('parses the page size the same way for lists and event searches', () => {
    const params = (qs: string) => new URLSearchParams(qs);
    assert.equal(parseLimit(params('')), 100);
    assert.equal(parseLimit(params('limit=')), 100);
    assert.equal(parseLimit(params('limit=1000')), 1000);
    for (const bad of ['limit=0', 'limit=1001', 'limit=2.5', 'limit=ten']) assert.throws(() => parseLimit(params(bad)), BadParameterError, bad);
  });

  it('parses list parameters', () => {
    assert.deepEqual(parseListQuery(url('')), { limit: 100, search: [], labels: {} });
    assert.deepEqual(parseListQuery(url('limit=5&startKey=k&search=Foo%20bar&query=env%3Ddev,%20team%20%3D%20a')),
      { limit: 5, startKey: 'k', search: ['foo', 'bar'], labels: { env: 'dev', team: 'a' } });
    assert.throws(() => parseListQuery(url('limit=1001')), BadParameterError);
    assert.throws(() => parseLabelQuery('env'), /use key=value,key2=value2/);
  });

  it('matches labels exactly and search words anywhere', () => {
    const item = { labels: { env: 'dev' }, fields: ['web-1', '10.0.0.1:3022'] };
    assert.ok(matches(item, { labels: { env: 'dev' }, search: ['web', '10.0'] }));
    assert.ok(matches(item, { labels: {}, search: ['env=dev'] }));
    assert.ok(!matches(item, { labels: { env: 'prod' }, search: [] }));
    assert.ok(!matches(item, { labels: {}, search: ['web', 'db'] }));
  });

  it('pages by key, so items added or removed between pages shift nothing', () => {
    const names = ['d', 'b', 'a', 'c', 'e'];
    const page = (items: string[], startKey?: string) =>
      paginate(items, { keyOf: (s) => [s], keep: () => true, map: (s) => s, limit: 2, ...(startKey && { startKey }) });
    const p1 = page(names);
    assert.deepEqual(p1, { items: ['a', 'b'], startKey: encodeKey(['c']), totalCount: 5 });
    const p2 = page([...names.filter((n) => n !== 'a'), 'bb'], p1.startKey);
    assert.deepEqual(p2.items, ['c', 'd']);
    assert.deepEqual(page(names, page(names, p1.startKey).startKey), { items: ['e'], totalCount: 5 });
    assert.throws(() => page(names, 'not-a-key'), /startKey/);
  });
});
