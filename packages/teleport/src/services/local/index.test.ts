import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { MemoryBackend } from '../../backend/memory.ts';
import { LocalServices } from './index.ts';

test('LocalServices shares one backend between every service', async () => {
  const backend = new MemoryBackend({ clock: new FakeClock(), pollIntervalMs: 0 });
  const services = new LocalServices(backend);
  assert.equal(services.backend, backend);
  await services.access.createRole({ kind: 'role', version: 'v7', metadata: { name: 'dev' }, spec: {} });
  await services.users.createUser({ kind: 'user', version: 'v2', metadata: { name: 'alice' }, spec: { roles: ['dev'] } });
  const again = new LocalServices(backend);
  assert.equal((await again.access.getRole('dev')).metadata.name, 'dev');
  assert.deepEqual((await again.users.listUsers()).map((u) => u.metadata.name), ['alice']);
  assert.deepEqual((await again.clusterConfig.getAuthPreference()).spec.second_factor, 'otp');
  assert.deepEqual(await again.trust.listCertAuthorities(), []);
  assert.deepEqual(await again.provisioning.listTokens(), []);
  assert.deepEqual(await again.userTokens.listUserTokens(), []);
});
