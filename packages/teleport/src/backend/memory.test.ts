/**
 * @module backend/memory.test
 * Runs the backend compliance suite against MemoryBackend, plus its background purge timer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@teleport-ts/api/clock';
import { runBackendSuite } from './backendSuite.ts';
import { EventReader, item } from './backendSuiteHelpers.ts';
import { MemoryBackend } from './memory.ts';

runBackendSuite('memory', async (clock) => new MemoryBackend({ clock, pollIntervalMs: 0 }));

describe('MemoryBackend', () => {
  it('purges expired items on its timer and emits deletes', async () => {
    const clock = new FakeClock();
    const b = new MemoryBackend({ clock, pollIntervalMs: 5 });
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
