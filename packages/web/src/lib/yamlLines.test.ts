/** @module yamlLines.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lineCount, lineRange } from './yamlLines.ts';
import { joinList, splitList } from './lists.ts';

describe('role editor lines', () => {
  it('counts lines and finds a line range', () => {
    const t = 'a\nbc\n\nd';
    assert.equal(lineCount(t), 4);
    assert.equal(lineCount(''), 1);
    assert.deepEqual(lineRange(t, 2), [2, 4]);
    assert.deepEqual(lineRange(t, 3), [5, 5]);
    assert.deepEqual(lineRange(t, 99), [6, 7]);
    assert.deepEqual(lineRange(t, 0), [0, 1]);
  });
  it('splits and joins comma lists', () => {
    assert.deepEqual(splitList(' a, b,,a ,c'), ['a', 'b', 'c']);
    assert.equal(joinList(['x', 'y']), 'x, y');
    assert.equal(joinList(undefined), '');
  });
});
