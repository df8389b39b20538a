/**
 * @module backend/sqlite.test
 * Runs the backend compliance suite against the SQLite backend (a fresh file per test in a temp dir),
 * plus what only a file-backed store has: durability across reopen, file permissions, a clear error for
 * a file that is not a database, and the background purge timer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '@teleport-ts/api/clock';
import { toBytes } from './backend.ts';
import { runBackendSuite } from './backendSuite.ts';
import { assertBytes, EventReader, item } from './backendSuiteHelpers.ts';
import { openSQLiteBackend } from './sqlite.ts';

const root = mkdtempSync(join(tmpdir(), 'teleport-sqlite-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
/** A fresh, not yet existing database path (inside a not yet existing directory). */
const freshPath = (): string => join(root, `case-${++counter}`, 'backend', 'sqlite.db');

runBackendSuite('sqlite', async (clock) => openSQLiteBackend({ path: freshPath(), clock, pollIntervalMs: 0 }));

describe('SQLite backend', () => {
  it('keeps data, expiries and revisions across close and reopen', async () => {
    const path = freshPath();
    const clock = new FakeClock();
    const b1 = await openSQLiteBackend({ path, clock, pollIntervalMs: 0 });
    const lease = await b1.put(item('/keep/1', 'durable', clock.nowMs() + 60_000));
    await b1.put({ key: '/keep/bin', value: new Uint8Array([0, 255, 1]) });
    await b1.put(item('/keep/short', 'gone soon', clock.nowMs() + 1000));
    await b1.close();

    clock.advance(2000);
    const b2 = await openSQLiteBackend({ path, clock, pollIntervalMs: 0 });
    try {
      const got = await b2.get('/keep/1');
      assertBytes(got.value, toBytes('durable'));
      assert.equal(got.revision, lease.revision);
      assert.equal(got.expires, clock.nowMs() + 58_000);
      assertBytes((await b2.get('/keep/bin')).value, new Uint8Array([0, 255, 1]));
      assert.equal(await b2.purgeExpired(), 1);
      assert.equal((await b2.getRange('/keep/', '/keep0')).items.length, 2);
    } finally {
      await b2.close();
    }
  });

  it('creates the directory 0700 and the database files 0600', { skip: process.platform === 'win32' }, async () => {
    const path = freshPath();
    const b = await openSQLiteBackend({ path, pollIntervalMs: 0 });
    try {
      await b.put(item('/perm/1', 'secret'));
      assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(path + suffix)) assert.equal(statSync(path + suffix).mode & 0o777, 0o600, suffix);
      }
    } finally {
      await b.close();
    }
  });

  it('restricts an existing world-readable database file to 0600', { skip: process.platform === 'win32' }, async () => {
    const path = freshPath();
    await (await openSQLiteBackend({ path, pollIntervalMs: 0 })).close();
    chmodSync(path, 0o644);
    await (await openSQLiteBackend({ path, pollIntervalMs: 0 })).close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('names the file when it is not a SQLite database', async () => {
    const dir = join(root, 'corrupt');
    mkdirSync(dir, { recursive: true });
    const cases: [string, string | Uint8Array][] = [
      ['text.db', 'this is a plain text file, not a database\n'.repeat(200)],
      ['random.db', new Uint8Array(8192).map((_, i) => (i * 131 + 7) & 0xff)],
    ];
    for (const [name, content] of cases) {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      await assert.rejects(openSQLiteBackend({ path, pollIntervalMs: 0 }), (err: Error) => {
        assert.equal((err as { code?: string }).code, 'bad_parameter');
        assert.ok(err.message.includes(path), `message should name the file: ${err.message}`);
        assert.match(err.message, /not a valid SQLite database/);
        return true;
      });
    }
  });

  it('explains when the path is a directory', async () => {
    const path = join(root, 'a-directory');
    mkdirSync(path, { recursive: true });
    await assert.rejects(openSQLiteBackend({ path }), (err: Error) => {
      assert.ok(err.message.includes(path), err.message);
      return true;
    });
  });

  it('purges expired items on its timer and emits deletes', async () => {
    const clock = new FakeClock();
    const b = await openSQLiteBackend({ path: freshPath(), clock, pollIntervalMs: 5 });
    try {
      await b.put(item('/hb/1', 'v', clock.nowMs() + 1000));
      const w = await b.newWatcher({ prefixes: ['/hb/'] });
      await w.ready;
      clock.advance(1000);
      const e = await new EventReader(w).next();
      assert.equal(e.type, 'delete');
      assert.equal(e.item.key, '/hb/1');
    } finally {
      await b.close();
    }
  });
});
