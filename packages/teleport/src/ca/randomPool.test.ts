/**
 * @module ca/randomPool.test
 * Pooled random bytes: the requested length, never the same bytes twice (across refills too), and
 * copies that a caller can keep or change without touching the pool.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomPoolBytes } from './randomPool.ts';

describe('randomPoolBytes', () => {
  it('hands out fresh bytes of the asked length, across several refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const b = randomPoolBytes(i % 2 ? 16 : 32);
      assert.equal(b.length, i % 2 ? 16 : 32);
      const hex = b.toString('hex');
      assert.ok(!seen.has(hex), 'the same bytes were handed out twice');
      seen.add(hex);
    }
  });

  it('returns independent copies, and serves large requests directly', () => {
    const a = randomPoolBytes(16);
    const copy = Buffer.from(a);
    a.fill(0);
    assert.notDeepEqual(randomPoolBytes(16), copy);
    assert.equal(randomPoolBytes(5000).length, 5000);
    assert.notEqual(copy.toString('hex'), '0'.repeat(32));
  });
});
