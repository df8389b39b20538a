/**
 * @module backend/backendSuiteWatch
 * Compliance tests for watchers: every committed change under a watched prefix arrives once, in commit
 * order, with the right type and contents; failed writes emit nothing; expiry purges emit deletes; and
 * closing a watcher or the backend ends the stream.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBytes } from './backend.ts';
import { assertBytes, describeEvents, EventReader, item, rejectsWithCode, type WithBackend } from './backendSuiteHelpers.ts';

/** Defines the watcher tests. */
export function watcherTests(withBackend: WithBackend): void {
  describe('watchers', () => {
    it('delivers puts and deletes in commit order with item contents', withBackend(async (b, clock) => {
      const w = await b.newWatcher({ prefixes: ['/w/'] });
      await w.ready;
      const r = new EventReader(w);
      const l1 = await b.create(item('/w/1', 'one', clock.nowMs() + 5000));
      const l2 = await b.put(item('/w/2', 'two'));
      const l3 = await b.update(item('/w/1', 'uno'));
      const l4 = await b.compareAndSwap(item('/w/2', 'two'), item('/w/2', 'dos'));
      await b.delete('/w/1');
      const events = await r.take(5);
      assert.deepEqual(describeEvents(events), ['put:/w/1', 'put:/w/2', 'put:/w/1', 'put:/w/2', 'delete:/w/1']);
      const [e1, e2, e3, e4] = events;
      assertBytes(e1!.item.value, toBytes('one'));
      assert.equal(e1!.item.expires, clock.nowMs() + 5000);
      assert.deepEqual([e1!.item.revision, e2!.item.revision, e3!.item.revision, e4!.item.revision],
        [l1.revision, l2.revision, l3.revision, l4.revision]);
      assertBytes(e3!.item.value, toBytes('uno'));
      assertBytes(e4!.item.value, toBytes('dos'));
      w.close();
    }));

    it('delivers only keys under the watched prefixes', withBackend(async (b) => {
      const w = await b.newWatcher({ prefixes: ['/a/', '/c/'] });
      await w.ready;
      const r = new EventReader(w);
      for (const k of ['/b/1', '/a/1', '/ab', '/c/1', '/a', '/d/1', '/a/2']) await b.put(item(k, 'v'));
      assert.deepEqual(describeEvents(await r.take(3)), ['put:/a/1', 'put:/c/1', 'put:/a/2']);
      w.close();
    }));

    it('watches everything when no prefixes are given', withBackend(async (b) => {
      const w = await b.newWatcher();
      await w.ready;
      const r = new EventReader(w);
      await b.put(item('/x', 'v'));
      await b.put(item('other', 'v'));
      assert.deepEqual(describeEvents(await r.take(2)), ['put:/x', 'put:other']);
      w.close();
    }));

    it('does not deliver changes made before the watcher was ready, nor failed writes', withBackend(async (b) => {
      await b.put(item('/w/before', 'v'));
      const w = await b.newWatcher({ prefixes: ['/w/'] });
      await w.ready;
      const r = new EventReader(w);
      await rejectsWithCode(b.create(item('/w/before', 'again')), 'already_exists');
      await rejectsWithCode(b.update(item('/w/missing', 'v')), 'not_found');
      await rejectsWithCode(b.compareAndSwap(item('/w/before', 'x'), item('/w/before', 'y')), 'compare_failed');
      await rejectsWithCode(b.delete('/w/missing'), 'not_found');
      await b.put(item('/w/after', 'v'));
      assert.deepEqual(describeEvents([await r.next()]), ['put:/w/after']);
      w.close();
    }));

    it('emits a delete per key for deleteRange', withBackend(async (b) => {
      for (const k of ['/r/1', '/r/2', '/r/3', '/s/1']) await b.put(item(k, 'v'));
      const w = await b.newWatcher({ prefixes: ['/r/', '/s/'] });
      await w.ready;
      const r = new EventReader(w);
      await b.deleteRange('/r/', '/r0');
      await b.put(item('/s/2', 'v'));
      const events = describeEvents(await r.take(4));
      assert.deepEqual(events.slice(0, 3).sort(), ['delete:/r/1', 'delete:/r/2', 'delete:/r/3']);
      assert.equal(events[3], 'put:/s/2');
      w.close();
    }));

    it('emits deletes for purged expired items and a put for keepAlive', withBackend(async (b, clock) => {
      const lease = await b.put(item('/p/1', 'hb', clock.nowMs() + 1000));
      await b.put(item('/p/2', 'hb', clock.nowMs() + 1000));
      const w = await b.newWatcher({ prefixes: ['/p/'] });
      await w.ready;
      const r = new EventReader(w);
      await b.keepAlive(lease, clock.nowMs() + 5000);
      const ka = await r.next();
      assert.deepEqual(describeEvents([ka]), ['put:/p/1']);
      assert.equal(ka.item.expires, clock.nowMs() + 5000);
      assertBytes(ka.item.value, toBytes('hb'));
      assert.equal(ka.item.revision, (await b.get('/p/1')).revision);
      clock.advance(1000);
      assert.equal(await b.purgeExpired(), 1);
      assert.deepEqual(describeEvents([await r.next()]), ['delete:/p/2']);
      clock.advance(4000);
      assert.equal(await b.purgeExpired(), 1);
      assert.deepEqual(describeEvents([await r.next()]), ['delete:/p/1']);
      w.close();
    }));

    it('delivers the same events to several watchers independently', withBackend(async (b) => {
      const all = await b.newWatcher({ name: 'all' });
      const some = await b.newWatcher({ prefixes: ['/m/2'] });
      await Promise.all([all.ready, some.ready]);
      const ra = new EventReader(all);
      const rs = new EventReader(some);
      for (const k of ['/m/1', '/m/2', '/m/3']) await b.put(item(k, 'v'));
      await b.delete('/m/2');
      assert.deepEqual(describeEvents(await ra.take(4)), ['put:/m/1', 'put:/m/2', 'put:/m/3', 'delete:/m/2']);
      assert.deepEqual(describeEvents(await rs.take(2)), ['put:/m/2', 'delete:/m/2']);
      all.close();
      some.close();
    }));

    it('close ends that watcher only', withBackend(async (b) => {
      const w1 = await b.newWatcher({ prefixes: ['/z/'] });
      const w2 = await b.newWatcher({ prefixes: ['/z/'] });
      await Promise.all([w1.ready, w2.ready]);
      const r1 = new EventReader(w1);
      const r2 = new EventReader(w2);
      await b.put(item('/z/1', 'v'));
      await r1.next();
      w1.close();
      w1.close();
      await r1.expectEnd();
      await b.put(item('/z/2', 'v'));
      assert.deepEqual(describeEvents(await r2.take(2)), ['put:/z/1', 'put:/z/2']);
      w2.close();
      await r2.expectEnd();
    }));

    it('ends a for-await loop when the watcher is closed', withBackend(async (b) => {
      const w = await b.newWatcher({ prefixes: ['/f/'] });
      await w.ready;
      const seen: string[] = [];
      const loop = (async () => {
        for await (const e of w.events()) {
          seen.push(e.item.key);
          if (seen.length === 2) w.close();
        }
      })();
      await b.put(item('/f/1', 'v'));
      await b.put(item('/f/2', 'v'));
      await loop;
      assert.deepEqual(seen, ['/f/1', '/f/2']);
    }));

    it('ends every watcher when the backend is closed', withBackend(async (b) => {
      const w1 = await b.newWatcher({ prefixes: ['/a/'] });
      const w2 = await b.newWatcher();
      await Promise.all([w1.ready, w2.ready]);
      const r1 = new EventReader(w1);
      const r2 = new EventReader(w2);
      const pending = r1.expectEnd(); // a consumer already waiting must be released too
      await b.close();
      await pending;
      await r2.expectEnd();
    }));
  });
}
