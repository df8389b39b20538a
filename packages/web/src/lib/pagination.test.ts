/** @module pagination.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { currentKey, firstPage, hasNext, hasPrev, nextPage, pageLabel, prevPage, withResponse } from './pagination.ts';

describe('pagination', () => {
  it('starts on the first page with no key and no neighbours', () => {
    const s = firstPage();
    assert.equal(currentKey(s), undefined);
    assert.equal(hasPrev(s), false);
    assert.equal(hasNext(s), false);
    assert.equal(nextPage(s), s);
    assert.equal(prevPage(s), s);
  });
  it('walks forward with the server keys and back with the stack', () => {
    let s = withResponse(firstPage(), 'k2');
    assert.ok(hasNext(s));
    s = nextPage(s);
    assert.equal(currentKey(s), 'k2');
    assert.ok(hasPrev(s));
    assert.equal(hasNext(s), false, 'next is unknown until the page loads');
    s = nextPage(withResponse(s, 'k3'));
    assert.equal(currentKey(s), 'k3');
    s = withResponse(s, undefined);
    assert.equal(hasNext(s), false);
    s = prevPage(s);
    assert.equal(currentKey(s), 'k2');
    s = prevPage(s);
    assert.equal(currentKey(s), undefined);
    assert.equal(hasPrev(s), false);
  });
  it('treats an empty next key as the end', () => {
    assert.equal(hasNext(withResponse(firstPage(), '')), false);
  });
  it('labels pages with and without a total', () => {
    const s = nextPage(withResponse(firstPage(), 'k'));
    assert.equal(pageLabel(s, 25), 'Page 2');
    assert.equal(pageLabel(s, 25, 51), 'Page 2 of 3');
    assert.equal(pageLabel(firstPage(), 25, 0), 'Page 1 of 1');
  });
});
