/**
 * @module srv/recording/mode.test
 * Cluster recording mode x role option record_session.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import type { RecordingMode } from '@teleport-ts/api/types/clusterConfig';
import { mergeRecordSession, recordingMode } from './mode.ts';

describe('recordingMode', () => {
  it('records where the cluster mode says, best effort by default', () => {
    const cases: Array<[RecordingMode, ReturnType<typeof recordingMode>]> = [
      ['node', { record: true, where: 'node', strict: false, sync: false }],
      ['node-sync', { record: true, where: 'node', strict: false, sync: true }],
      ['proxy', { record: true, where: 'proxy', strict: false, sync: false }],
      ['proxy-sync', { record: true, where: 'proxy', strict: false, sync: true }],
      ['off', { record: false, where: 'node', strict: false, sync: false }],
    ];
    for (const [mode, want] of cases) assert.deepEqual(recordingMode(mode), want, mode);
  });

  it('honours record_session: ssh over default, strict, off', () => {
    assert.equal(recordingMode('node', { default: 'strict' }).strict, true);
    assert.equal(recordingMode('node', { default: 'strict', ssh: 'best_effort' }).strict, false);
    assert.equal(recordingMode('proxy', { ssh: 'strict' }).strict, true);
    assert.deepEqual(recordingMode('node', { ssh: 'off' }), { record: false, where: 'node', strict: false, sync: false });
    // The cluster switch wins: nothing is recorded, so nothing can fail strictly.
    assert.deepEqual(recordingMode('off', { ssh: 'strict' }), { record: false, where: 'node', strict: false, sync: false });
  });

  it('refuses unknown values with the allowed ones', () => {
    assert.throws(() => recordingMode('node', { ssh: 'always' }), (e: unknown) => e instanceof BadParameterError && /"best_effort", "strict" or "off"/.test(e.message));
    assert.throws(() => recordingMode('everywhere' as RecordingMode), /unknown session recording mode "everywhere"/);
  });
});

describe('mergeRecordSession', () => {
  it('lets strict win and turns recording off only when every role says off', () => {
    assert.deepEqual(mergeRecordSession([{ default: 'best_effort' }, { ssh: 'strict' }]), { ssh: 'strict' });
    assert.deepEqual(mergeRecordSession([{ ssh: 'off' }, { default: 'off' }]), { ssh: 'off' });
    assert.deepEqual(mergeRecordSession([{ ssh: 'off' }, { default: 'best_effort' }]), { ssh: 'best_effort' });
    // A role without the option is best_effort, so it keeps the session recorded.
    assert.deepEqual(mergeRecordSession([{ ssh: 'off' }, undefined]), { ssh: 'best_effort' });
    assert.deepEqual(mergeRecordSession([]), { ssh: 'best_effort' });
  });
});
