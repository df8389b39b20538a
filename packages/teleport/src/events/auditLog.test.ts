/**
 * @module events/auditLog.test
 * completeEvent (the one-pass version) stores exactly what the earlier destructuring version did:
 * leading fields event, code, uid, time, cluster_name, then the caller's fields in order without
 * undefined values; presets kept, time normalized, bad input refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { AuditEvent, AuditEventInput } from '@teleport-ts/api/events/types';
import { completeEvent } from './auditLog.ts';

/** The earlier implementation (after validation), with the uid injected: the reference. */
function reference(input: AuditEventInput, time: string, clusterName: string, newUid: string): AuditEvent {
  const { event, code, uid, cluster_name, time: _time, ...rest } = input;
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) kept[k] = v;
  return { event, code, uid: uid ?? newUid, time, cluster_name: cluster_name ?? clusterName, ...kept };
}

test('completeEvent lays out fields like the reference, dropping undefined values', () => {
  const clock = new FakeClock(Date.parse('2026-03-04T05:06:07.089Z'));
  const inputs: AuditEventInput[] = [
    { event: 'db.session.query', code: 'TDB02I', sid: 's', user: 'alice', server_id: undefined, db_query: 'select 1', db_labels: { env: 'x' }, success: true },
    { code: 'T1000I', event: 'user.login', user: 'bob', uid: 'preset-uid', cluster_name: 'other', method: 'local' },
    { event: 'session.start', code: 'T2000I', time: '2026-01-01T10:00:00+02:00', login: 'root', 'addr.remote': '10.0.0.1:22' },
    { event: 'x', code: 'y' },
  ];
  for (const input of inputs) {
    const got = completeEvent(input, clock, 'example.com');
    const time = input.time === undefined ? clock.now().toISOString() : new Date(Date.parse(input.time)).toISOString();
    const want = reference(input, time, 'example.com', input.uid ?? got.uid);
    assert.equal(JSON.stringify(got), JSON.stringify(want));
    assert.deepEqual(Object.keys(got).slice(0, 5), ['event', 'code', 'uid', 'time', 'cluster_name']);
    assert.ok(!Object.values(got).includes(undefined));
    if (input.uid === undefined) assert.match(got.uid, /^[0-9a-f-]{36}$/);
  }
  assert.notEqual(completeEvent({ event: 'x', code: 'y' }, clock, 'c').uid, completeEvent({ event: 'x', code: 'y' }, clock, 'c').uid);
});

test('completeEvent ignores inherited properties and refuses what it refused before', () => {
  const clock = new FakeClock();
  const proto = { inherited: 'no' };
  const input = Object.assign(Object.create(proto) as AuditEventInput, { event: 'x', code: 'y', own: randomUUID() });
  const got = completeEvent(input, clock, 'c') as Record<string, unknown>;
  assert.equal(got.inherited, undefined);
  assert.equal(typeof got.own, 'string');
  assert.throws(() => completeEvent({ event: '', code: 'y' }, clock, 'c'), BadParameterError);
  assert.throws(() => completeEvent({ event: 'x', code: '' }, clock, 'c'), BadParameterError);
  assert.throws(() => completeEvent({ event: 'x', code: 'y', time: 'yesterday' }, clock, 'c'), BadParameterError);
});
