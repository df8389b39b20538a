/** The KILL translation registry and statement parsing (pure). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideKill, killStatement, parseKillStatement, ThreadRegistry } from './threadRegistry.ts';

describe('parseKillStatement', () => {
  it('accepts what the CLI sends on Ctrl-C and the other KILL forms', () => {
    assert.deepEqual(parseKillStatement('KILL QUERY 42'), { modifier: 'QUERY ', id: 42 });
    assert.deepEqual(parseKillStatement('  kill connection\t7 ; '), { modifier: 'CONNECTION ', id: 7 });
    assert.deepEqual(parseKillStatement('KILL 9;'), { modifier: '', id: 9 });
    assert.equal(killStatement({ modifier: 'QUERY ', id: 42 }, 1001), 'KILL QUERY 1001');
  });

  it('leaves everything else alone', () => {
    for (const sql of ['select 1', 'KILL QUERY ID 5', 'KILL USER bob', 'KILL 1; select 2', 'KILL HARD QUERY 3', 'KILL -1', `KILL ${'9'.repeat(30)}`]) {
      assert.equal(parseKillStatement(sql), undefined, sql);
    }
  });
});

describe('ThreadRegistry', () => {
  it('translates ids of the same user, denies other users, passes unknown ids', () => {
    const r = new ThreadRegistry();
    const reg = r.register('db1', 100, { upstreamThreadId: 5, username: 'alice' });
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL QUERY 100'), { action: 'rewrite', statement: 'KILL QUERY 5', upstreamThreadId: 5 });
    assert.deepEqual(decideKill(r, 'db1', 'bob', 'KILL 100'), { action: 'deny', id: 100 });
    assert.deepEqual(decideKill(r, 'db2', 'alice', 'KILL QUERY 100'), { action: 'pass' }, 'another database');
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL QUERY 101'), { action: 'pass' });
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'select 100'), { action: 'pass' });
    reg.setUpstreamThreadId(6);
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL CONNECTION 100'), { action: 'rewrite', statement: 'KILL CONNECTION 6', upstreamThreadId: 6 });
    reg.forget();
    reg.forget();
    assert.equal(r.size, 0);
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL QUERY 100'), { action: 'pass' });
  });

  it('keeps sessions that share an id (several proxies) and prefers the sender’s own', () => {
    const r = new ThreadRegistry();
    const a = r.register('db1', 100, { upstreamThreadId: 5, username: 'alice' });
    const b = r.register('db1', 100, { upstreamThreadId: 8, username: 'bob' });
    assert.equal(r.size, 2);
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL QUERY 100'), { action: 'rewrite', statement: 'KILL QUERY 5', upstreamThreadId: 5 });
    assert.deepEqual(decideKill(r, 'db1', 'bob', 'KILL QUERY 100'), { action: 'rewrite', statement: 'KILL QUERY 8', upstreamThreadId: 8 });
    assert.deepEqual(decideKill(r, 'db1', 'carol', 'KILL QUERY 100'), { action: 'deny', id: 100 });
    a.forget();
    assert.deepEqual(r.lookup('db1', 100), { upstreamThreadId: 8, username: 'bob' });
    assert.deepEqual(decideKill(r, 'db1', 'alice', 'KILL QUERY 100'), { action: 'deny', id: 100 });
    b.forget();
    assert.equal(r.size, 0);
  });

  it('hands out distinct 31-bit ids above 2^30 that skip registered ones', () => {
    const r = new ThreadRegistry();
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const id = r.allocateId();
      assert.ok(id >= 0x40000000 && id <= 0x7fffffff);
      assert.ok(!seen.has(id));
      seen.add(id);
    }
    let next = r.allocateId();
    while (next >= 0x7ffffff0) next = r.allocateId(); // keep clear of the wrap for the check below
    r.register('db1', next + 1, { upstreamThreadId: 1, username: 'u' });
    assert.equal(r.allocateId(), next + 2, 'an id in use is skipped');
  });
});
