/**
 * @module events/auditLogSuite
 * The contract every AuditLog implementation must pass, run with an injected FakeClock so multi-day
 * and same-millisecond cases are exact. Implementations call `runAuditLogSuite` from their own test
 * file; factories must build the log with cluster name `SUITE_CLUSTER_NAME`.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { AuditEvent, SearchEventsQuery } from '@teleport-ts/api/events/types';
import type { AuditLog } from './auditLog.ts';
import { userLoginEvent, roleCreatedEvent } from './newEvent.ts';

/** The cluster name factories must give the log under test. */
export const SUITE_CLUSTER_NAME = 'suite.example.com';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2026, 0, 1, 10, 0, 0);

/** Collects every page of a search, following lastKey. */
async function allPages(log: AuditLog, q: SearchEventsQuery): Promise<{ events: AuditEvent[]; pages: number }> {
  const events: AuditEvent[] = [];
  let startKey: string | undefined;
  let pages = 0;
  for (;;) {
    const res = await log.search(startKey === undefined ? q : { ...q, startKey });
    pages++;
    events.push(...res.events);
    if (res.lastKey === undefined) return { events, pages };
    startKey = res.lastKey;
    assert.ok(pages < 1000, 'pagination does not terminate');
  }
}

/** Registers the AuditLog contract tests for one implementation. */
export function runAuditLogSuite(name: string, factory: (clock: FakeClock) => Promise<AuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    let clock: FakeClock;
    let log: AuditLog;
    const range = (fromMs: number, toMs: number): { from: Date; to: Date } => ({ from: new Date(fromMs), to: new Date(toMs) });
    const all = range(START - DAY, START + 30 * DAY);

    /** Emits `n` login events one second apart, each tagged with its index in `n_index`. */
    async function emitSeries(n: number, stepMs = 1000): Promise<AuditEvent[]> {
      const out: AuditEvent[] = [];
      for (let i = 0; i < n; i++) {
        out.push(await log.emit({ ...userLoginEvent({ user: `u${i}`, method: 'local', success: true }), n_index: i }));
        clock.advance(stepMs);
      }
      return out;
    }

    beforeEach(async () => {
      clock = new FakeClock(START);
      log = await factory(clock);
    });
    afterEach(async () => {
      await log.close();
    });

    it('emit fills uid, time and cluster_name and keeps the caller fields', async () => {
      const e = await log.emit(userLoginEvent({ user: 'alice', method: 'local', success: false, error: 'bad password', remoteAddr: '10.0.0.1:5000' }));
      assert.match(e.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(e.time, '2026-01-01T10:00:00.000Z');
      assert.equal(e.cluster_name, SUITE_CLUSTER_NAME);
      assert.equal(e.event, 'user.login');
      assert.equal(e.code, 'T1000W');
      assert.equal(e.user, 'alice');
      assert.equal(e.success, false);
      assert.equal(e.error, 'bad password');
      assert.equal(e['addr.remote'], '10.0.0.1:5000');
      assert.equal('mfa_device' in e, false, 'undefined fields are dropped');
      const second = await log.emit(roleCreatedEvent({ user: 'admin', name: 'dev' }));
      assert.notEqual(second.uid, e.uid);
      const { events } = await log.search(all);
      assert.deepEqual(events, [e, second]);
    });

    it('emit keeps a preset uid, time and cluster_name, normalizing time to RFC 3339 with ms', async () => {
      const e = await log.emit({ event: 'exec', code: EventCodes.exec, uid: 'fixed-uid', time: '2026-01-02T03:04:05Z', cluster_name: 'leaf' });
      assert.equal(e.uid, 'fixed-uid');
      assert.equal(e.time, '2026-01-02T03:04:05.000Z');
      assert.equal(e.cluster_name, 'leaf');
      assert.deepEqual((await log.search(all)).events, [e]);
    });

    it('emit rejects events without a name or code, or with a bad time', async () => {
      await assert.rejects(log.emit({ event: '', code: 'T1000I' }), BadParameterError);
      await assert.rejects(log.emit({ event: 'user.login', code: '' }), BadParameterError);
      await assert.rejects(log.emit({ event: 'user.login', code: 'T1000I', time: 'yesterday' }), BadParameterError);
      assert.deepEqual((await log.search(all)).events, []);
    });

    it('search covers [from, to): from inclusive, to exclusive', async () => {
      const ev = await emitSeries(5);
      const res = await log.search(range(START + 1000, START + 3000));
      assert.deepEqual(res.events.map((e) => e.n_index), [1, 2]);
      assert.equal(res.lastKey, undefined);
      assert.deepEqual((await log.search(range(START, START))).events, []);
      assert.deepEqual((await log.search(range(START + 4000, START + 4001))).events, [ev[4]]);
    });

    it('search filters by event types', async () => {
      await log.emit(userLoginEvent({ user: 'a', method: 'local', success: true }));
      await log.emit(roleCreatedEvent({ user: 'a', name: 'r' }));
      await log.emit({ event: EventTypes.sessionStart, code: EventCodes.sessionStart, sid: 's1' });
      const logins = await log.search({ ...all, eventTypes: [EventTypes.userLogin] });
      assert.deepEqual(logins.events.map((e) => e.event), ['user.login']);
      const two = await log.search({ ...all, eventTypes: [EventTypes.roleCreated, EventTypes.sessionStart] });
      assert.deepEqual(two.events.map((e) => e.event), ['role.created', 'session.start']);
      assert.equal((await log.search({ ...all, eventTypes: [] })).events.length, 3);
    });

    it('search applies limit, default limit and rejects out-of-range limits', async () => {
      await emitSeries(5);
      const res = await log.search({ ...all, limit: 2 });
      assert.deepEqual(res.events.map((e) => e.n_index), [0, 1]);
      assert.equal(typeof res.lastKey, 'string');
      const exact = await log.search({ ...all, limit: 5 });
      assert.equal(exact.events.length, 5);
      assert.equal(exact.lastKey, undefined, 'no lastKey when nothing more matches');
      assert.equal((await log.search(all)).events.length, 5);
      await assert.rejects(log.search({ ...all, limit: 0 }), BadParameterError);
      await assert.rejects(log.search({ ...all, limit: 10_001 }), BadParameterError);
      await assert.rejects(log.search({ from: new Date(START + 1), to: new Date(START) }), BadParameterError);
      await assert.rejects(log.search({ ...all, startKey: 'not-a-key' }), BadParameterError);
    });

    it('search orders asc by default and desc on request', async () => {
      await emitSeries(4);
      assert.deepEqual((await log.search(all)).events.map((e) => e.n_index), [0, 1, 2, 3]);
      assert.deepEqual((await log.search({ ...all, order: 'asc' })).events.map((e) => e.n_index), [0, 1, 2, 3]);
      assert.deepEqual((await log.search({ ...all, order: 'desc' })).events.map((e) => e.n_index), [3, 2, 1, 0]);
      assert.deepEqual((await log.search({ ...all, order: 'desc', limit: 2 })).events.map((e) => e.n_index), [3, 2]);
    });

    for (const order of ['asc', 'desc'] as const) {
      it(`pagination with startKey returns every event exactly once (${order}, ties in one millisecond)`, async () => {
        // Three events per millisecond so page boundaries fall between events with equal times.
        for (let i = 0; i < 31; i++) {
          await log.emit({ ...userLoginEvent({ user: 'u', method: 'local', success: true }), n_index: i });
          if (i % 3 === 2) clock.advance(1);
        }
        const { events, pages } = await allPages(log, { ...all, order, limit: 4 });
        assert.equal(pages, 8);
        const expected = Array.from({ length: 31 }, (_, i) => i);
        assert.deepEqual(events.map((e) => e.n_index), order === 'asc' ? expected : expected.reverse());
      });
    }

    it('events across several days are stored and searched by time', async () => {
      const ids: number[] = [];
      for (let d = 0; d < 4; d++) {
        for (let i = 0; i < 3; i++) {
          const n = d * 3 + i;
          ids.push(n);
          await log.emit({ ...userLoginEvent({ user: 'u', method: 'local', success: true }), n_index: n });
          clock.advance(60_000);
        }
        clock.advance(DAY);
      }
      assert.deepEqual((await log.search(all)).events.map((e) => e.n_index), ids);
      assert.deepEqual((await log.search({ ...all, order: 'desc' })).events.map((e) => e.n_index), [...ids].reverse());
      // Just the second and third day.
      const mid = await log.search(range(START + DAY, START + 3 * DAY));
      assert.deepEqual(mid.events.map((e) => e.n_index), [3, 4, 5, 6, 7, 8]);
      const { events, pages } = await allPages(log, { ...all, limit: 5 });
      assert.equal(pages, 3);
      assert.deepEqual(events.map((e) => e.n_index), ids);
      const desc = await allPages(log, { ...all, limit: 5, order: 'desc' });
      assert.deepEqual(desc.events.map((e) => e.n_index), [...ids].reverse());
    });

    it('concurrent emits are all stored exactly once', async () => {
      const emitted = await Promise.all(
        Array.from({ length: 200 }, (_, i) => log.emit({ ...userLoginEvent({ user: `u${i}`, method: 'local', success: true }), n_index: i })),
      );
      assert.equal(new Set(emitted.map((e) => e.uid)).size, 200);
      const { events } = await allPages(log, { ...all, limit: 64 });
      assert.equal(events.length, 200);
      assert.deepEqual(events.map((e) => e.uid).sort(), emitted.map((e) => e.uid).sort());
    });

    it('stored events cannot be changed through returned objects', async () => {
      const input = { ...roleCreatedEvent({ user: 'a', name: 'r' }), roles: ['x'] };
      const e = await log.emit(input);
      input.roles.push('y');
      e.user = 'mallory';
      const [got] = (await log.search(all)).events;
      assert.equal(got?.user, 'a');
      assert.deepEqual(got?.roles, ['x']);
    });

    it('emit after close rejects', async () => {
      await log.close();
      await assert.rejects(log.emit(roleCreatedEvent({ user: 'a', name: 'r' })));
    });
  });
}
