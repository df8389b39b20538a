/** @module labels.test */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelQuery, hasLabel, parseLabelQuery, toggleLabel } from './labels.ts';

describe('label queries', () => {
  it('parses k=v lists, trimming and dropping malformed items', () => {
    assert.deepEqual(parseLabelQuery(' env=prod , team=db,,bad,=x,url=a=b'), [
      { name: 'env', value: 'prod' },
      { name: 'team', value: 'db' },
      { name: 'url', value: 'a=b' },
    ]);
    assert.deepEqual(parseLabelQuery(''), []);
  });
  it('lets a later value of the same key win', () => {
    assert.deepEqual(parseLabelQuery('env=a,env=b'), [{ name: 'env', value: 'b' }]);
  });
  it('formats sorted by name, so parse(format(x)) round-trips', () => {
    const q = formatLabelQuery([{ name: 'z', value: '1' }, { name: 'a', value: '2' }]);
    assert.equal(q, 'a=2,z=1');
    assert.equal(formatLabelQuery(parseLabelQuery(q)), q);
  });
  it('toggles a label on, replaces another value of the key, and toggles it off', () => {
    let q = toggleLabel('', { name: 'env', value: 'prod' });
    assert.equal(q, 'env=prod');
    q = toggleLabel(q, { name: 'team', value: 'db' });
    assert.equal(q, 'env=prod,team=db');
    q = toggleLabel(q, { name: 'env', value: 'dev' });
    assert.equal(q, 'env=dev,team=db');
    assert.ok(hasLabel(q, { name: 'env', value: 'dev' }));
    q = toggleLabel(q, { name: 'env', value: 'dev' });
    assert.equal(q, 'team=db');
  });
});
