import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import type { ClusterName } from '@teleport-ts/api/types/clusterConfig';
import { MemoryBackend } from '../../backend/memory.ts';
import { ClusterConfigService } from './clusterConfig.ts';

const setup = () => new ClusterConfigService(new MemoryBackend({ clock: new FakeClock(), pollIntervalMs: 0 }));
const clusterName = (name: string): ClusterName => ({
  kind: 'cluster_name', version: 'v2', metadata: { name: 'ignored' }, spec: { cluster_name: name, cluster_id: 'id-1' },
});

test('the cluster name is set once', async () => {
  const config = setup();
  await assert.rejects(config.getClusterName(), new NotFoundError('cluster name not found'));
  await config.createClusterName(clusterName('example.com'));
  const stored = await config.getClusterName();
  assert.equal(stored.spec.cluster_name, 'example.com');
  assert.equal(stored.metadata.name, 'cluster-name');
  await assert.rejects(config.createClusterName(clusterName('other.com')),
    new AlreadyExistsError("cluster name is already set to 'example.com': a cluster's name cannot be changed"));
  const both = await Promise.allSettled([config.createClusterName(clusterName('a')), config.createClusterName(clusterName('b'))]);
  assert.ok(both.every((r) => r.status === 'rejected'));
});

test('auth preference defaults to local + otp until set', async () => {
  const config = setup();
  const def = await config.getAuthPreference();
  assert.deepEqual(def.spec, { type: 'local', second_factor: 'otp' });
  assert.equal(def.metadata.name, 'cluster-auth-preference');
  assert.equal(def.metadata.revision, undefined);
  await config.setAuthPreference({ ...def, spec: { type: 'local', second_factor: 'webauthn', webauthn: { rp_id: 'example.com' } } });
  const set = await config.getAuthPreference();
  assert.equal(set.spec.second_factor, 'webauthn');
  assert.ok(set.metadata.revision);
  await config.setAuthPreference({ ...set, spec: { ...set.spec, second_factor: 'on' } });
  await assert.rejects(config.setAuthPreference(set), new CompareFailedError(
    'authentication preference was changed by someone else; re-read it and try again'));
  await assert.rejects(config.setAuthPreference({ ...set, kind: 'role' } as never), /expected a resource of kind cluster_auth_preference/);
});

test('session recording config defaults to mode node until set', async () => {
  const config = setup();
  const def = await config.getSessionRecordingConfig();
  assert.deepEqual(def.spec, { mode: 'node' });
  assert.equal(def.metadata.name, 'session-recording-config');
  await config.setSessionRecordingConfig({ ...def, metadata: { name: 'whatever' }, spec: { mode: 'proxy' } });
  const set = await config.getSessionRecordingConfig();
  assert.equal(set.spec.mode, 'proxy');
  assert.equal(set.metadata.name, 'session-recording-config');
});
