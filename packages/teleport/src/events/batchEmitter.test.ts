/**
 * @module events/batchEmitter.test
 * The batching audit emitter: events emitted together share a request, events queue while a request
 * is in flight and keep their order, requests are spaced by minIntervalMs unless urgent, full or
 * flushed, batches respect their limits, failures reach every event's
 * caller, an auth server without batches gets events one by one, and close waits for the queue.
 * Then the real path: AuthClient -> auth's gRPC service -> AuthWithRoles -> the audit log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import type { AuthTLSServer } from '../auth/tlsServer.ts';
import { newTestAuthServer, type TestAuth, startTestAuthTLS } from '../auth/testAuthServer.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import { AuditBatchEmitter, authClientSenders, estimateBytes, type ServiceAuditEvent } from './batchEmitter.ts';

/** A fake auth: records requests; each answers when the test releases it. */
function fakeAuth() {
  const requests: ServiceAuditEvent[][] = [];
  const waiting: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  let auto = true;
  let failWith: ((events: ServiceAuditEvent[]) => unknown) | undefined;
  const answer = (events: ServiceAuditEvent[]): Promise<void> => {
    requests.push(events);
    const err = failWith?.(events);
    if (err) return Promise.reject(err);
    if (auto) return Promise.resolve();
    return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return {
    requests,
    emitter: (opts: { maxBatchEvents?: number; maxBatchBytes?: number; minIntervalMs?: number } = {}) => new AuditBatchEmitter({
      sendBatch: (events) => answer(events),
      sendOne: (event) => answer([event]),
      minIntervalMs: 0,
      ...opts,
    }),
    hold() {
      auto = false;
    },
    releaseOne() {
      waiting.shift()?.resolve();
    },
    failing(f: typeof failWith) {
      failWith = f;
    },
  };
}

const ev = (n: number): ServiceAuditEvent => ({ event: 'db.session.query', code: 'TDB02I', n });
const ns = (events: ServiceAuditEvent[]) => events.map((e) => e.n);
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('AuditBatchEmitter', () => {
  it('sends one event alone and events emitted in one tick in one request', async () => {
    const a = fakeAuth();
    const e = a.emitter();
    await e.emit(ev(0));
    await Promise.all([e.emit(ev(1)), e.emit(ev(2)), e.emit(ev(3))]);
    assert.deepEqual(a.requests.map(ns), [[0], [1, 2, 3]]);
    assert.deepEqual(e.stats(), { events: 4, requests: 2 });
  });

  it('queues events while a request is in flight and keeps their order', async () => {
    const a = fakeAuth();
    a.hold();
    const e = a.emitter();
    const done: number[] = [];
    const all = [0, 1, 2, 3, 4, 5].map((n) => {
      const p = e.emit(ev(n)).then(() => done.push(n));
      return p;
    });
    await tick();
    assert.deepEqual(a.requests.map(ns), [[0, 1, 2, 3, 4, 5]]);
    // While that one is in flight, more events come in one by one.
    for (const n of [6, 7, 8]) {
      all.push(e.emit(ev(n)).then(() => done.push(n)));
      await tick();
    }
    assert.equal(a.requests.length, 1, 'nothing is sent while a request is in flight');
    a.releaseOne();
    await tick();
    assert.deepEqual(a.requests.map(ns), [[0, 1, 2, 3, 4, 5], [6, 7, 8]]);
    a.releaseOne();
    await Promise.all(all);
    assert.deepEqual(done, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('starts requests at most every minIntervalMs while events keep coming, unless urgent, full or flushed', async () => {
    const a = fakeAuth();
    const e = a.emitter({ minIntervalMs: 200, maxBatchEvents: 4 });
    const t0 = performance.now();
    await e.emit(ev(0));
    assert.ok(performance.now() - t0 < 150, 'an idle emitter sends at once');
    // Right after a request: the next one waits for the interval...
    const waited = e.emit(ev(1)).then(() => performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(a.requests.map(ns), [[0]]);
    // ...unless an urgent event comes (it goes with the ones waiting).
    await e.emit(ev(2), { urgent: true });
    assert.ok((await waited) < 150);
    assert.deepEqual(a.requests.map(ns), [[0], [1, 2]]);
    // A full batch does not wait either.
    const t1 = performance.now();
    await Promise.all([3, 4, 5, 6].map((n) => e.emit(ev(n))));
    assert.ok(performance.now() - t1 < 150, 'a full batch goes at once');
    // flush sends what waits at once.
    const t2 = performance.now();
    const late = e.emit(ev(7));
    await tick();
    await e.flush();
    await late;
    assert.ok(performance.now() - t2 < 150, 'flush does not wait for the interval');
    assert.deepEqual(a.requests.map(ns), [[0], [1, 2], [3, 4, 5, 6], [7]]);
    // Events arriving during the interval share one request.
    const t3 = performance.now();
    await Promise.all([8, 9, 10].map(async (n, i) => {
      await new Promise((r) => setTimeout(r, i * 20));
      await e.emit(ev(n));
    }));
    assert.deepEqual(a.requests.slice(4).map(ns), [[8, 9, 10]]);
    assert.ok(performance.now() - t3 >= 100, 'they waited for the interval since the last request');
  });

  it('splits batches at the event and byte limits, sending an oversized event alone', async () => {
    const a = fakeAuth();
    const e = a.emitter({ maxBatchEvents: 3 });
    await Promise.all([0, 1, 2, 3, 4, 5, 6].map((n) => e.emit(ev(n))));
    assert.deepEqual(a.requests.map(ns), [[0, 1, 2], [3, 4, 5], [6]]);

    const b = fakeAuth();
    const big = (n: number): ServiceAuditEvent => ({ ...ev(n), db_query: 'x'.repeat(1000) });
    const eb = b.emitter({ maxBatchBytes: 2500 });
    await Promise.all([big(0), big(1), big(2), { ...big(3), db_query: 'y'.repeat(10_000) }, big(4)].map((x) => eb.emit(x)));
    assert.deepEqual(b.requests.map(ns), [[0, 1], [2], [3], [4]]);
  });

  it('rejects every event of a failed request with its error, and goes on with the next', async () => {
    const a = fakeAuth();
    const e = a.emitter();
    a.failing(() => new ConnectionProblemError('auth is unreachable'));
    const results = await Promise.allSettled([e.emit(ev(0)), e.emit(ev(1))]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(r.reason instanceof ConnectionProblemError);
    }
    a.failing(undefined);
    await e.emit(ev(2));
    assert.deepEqual(a.requests.map(ns), [[0, 1], [2]]);
  });

  it('falls back to one event per request when auth refuses batches', async () => {
    const a = fakeAuth();
    const e = a.emitter();
    a.failing((events) => (events.length > 1 ? new BadParameterError('audit event needs string "event" and "code" fields') : undefined));
    await Promise.all([e.emit(ev(0)), e.emit(ev(1))]);
    await Promise.all([e.emit(ev(2)), e.emit(ev(3))]);
    // The refused batch, its events one by one, then no more batches.
    assert.deepEqual(a.requests.map(ns), [[0, 1], [0], [1], [2], [3]]);
  });

  it('on a refused batch with one bad event, stores the others and rejects only that one; batches go on', async () => {
    const a = fakeAuth();
    const e = a.emitter();
    a.failing((events) => (events.some((x) => x.n === 1) ? new BadParameterError('bad event') : undefined));
    const results = await Promise.allSettled([e.emit(ev(0)), e.emit(ev(1)), e.emit(ev(2))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    await Promise.all([e.emit(ev(3)), e.emit(ev(4))]);
    assert.deepEqual(a.requests.map(ns), [[0, 1, 2], [0], [1], [2], [3, 4]]);
  });

  it('close waits for queued events and refuses new ones', async () => {
    const a = fakeAuth();
    a.hold();
    const e = a.emitter();
    const sent = Promise.all([e.emit(ev(0)), e.emit(ev(1))]);
    await tick();
    const late = e.emit(ev(2));
    let closed = false;
    const closing = e.close().then(() => {
      closed = true;
    });
    await tick();
    assert.equal(closed, false);
    await assert.rejects(e.emit(ev(3)), ConnectionProblemError);
    a.releaseOne();
    await tick();
    a.releaseOne();
    await closing;
    await sent;
    await late;
    assert.deepEqual(a.requests.map(ns), [[0, 1], [2]]);
  });

  it('estimates JSON size from strings, string arrays and one level of objects', () => {
    const e = { event: 'db.session.query', db_query: 'x'.repeat(5000), db_query_parameters: ['a'.repeat(300)], db_labels: { env: 'prod' } };
    const est = estimateBytes(e);
    const real = JSON.stringify(e).length;
    assert.ok(est >= real * 0.9 && est <= real * 1.5, `estimate ${est} vs ${real}`);
  });
});

describe('AuditBatchEmitter through the auth gRPC API', () => {
  let t: TestAuth;
  let server: AuthTLSServer;
  let client: AuthClient;

  before(async () => {
    t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'off' });
    const hostId = randomUUID();
    const db = await issueLocalIdentity(t.auth, { hostId: 'db-host', nodeName: 'db', role: 'Db', algorithm: 'ecdsa-p256' });
    server = await startTestAuthTLS(t.auth, hostId);
    client = new AuthClient({ addr: `127.0.0.1:${server.address.port}`, certPEM: db.certPEM, keyPEM: db.keyPEM, caCerts: db.tlsCACerts, timeoutMs: 10_000 });
  });

  after(async () => {
    client.close();
    await server.close();
  });

  it('stores a batch in order, stamped like single events (server_id, auth uid/time)', async () => {
    const e = new AuditBatchEmitter(authClientSenders(client));
    const before = t.audit.all().length;
    await Promise.all([0, 1, 2, 3, 4].map((n) => e.emit({ ...ev(n), uid: 'forged', time: '1999-01-01T00:00:00Z', cluster_name: 'evil' })));
    const stored = t.audit.all().slice(before);
    assert.deepEqual(stored.map((x) => x.n), [0, 1, 2, 3, 4]);
    for (const x of stored) {
      assert.equal(x.server_id, 'db-host.example.com');
      assert.notEqual(x.uid, 'forged');
      assert.equal(x.cluster_name, 'example.com');
      assert.notEqual(x.time, '1999-01-01T00:00:00.000Z');
    }
    assert.deepEqual(e.stats(), { events: 5, requests: 1 });
  });

  it('refuses a batch with a bad event without storing any of it; the good ones then go one by one', async () => {
    const before = t.audit.all().length;
    await assert.rejects(client.emitAuditEvent([ev(10), { event: 'x' }] as unknown as ServiceAuditEvent), BadParameterError);
    assert.equal(t.audit.all().length, before, 'nothing of a refused batch is stored');
    const e = new AuditBatchEmitter(authClientSenders(client));
    const results = await Promise.allSettled([e.emit(ev(11)), e.emit({ event: 'x' }), e.emit(ev(12))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual(t.audit.all().slice(before).map((x) => x.n), [11, 12]);
  });
});
