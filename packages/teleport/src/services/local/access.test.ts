import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, BadParameterError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import type { Role } from '@teleport-ts/api/types/role';
import { MemoryBackend } from '../../backend/memory.ts';
import { AccessService } from './access.ts';

const role = (name: string, logins = ['root']): Role => ({
  kind: 'role', version: 'v7', metadata: { name }, spec: { allow: { logins } },
});

const setup = () => new AccessService(new MemoryBackend({ clock: new FakeClock(), pollIntervalMs: 0 }));

test('role CRUD', async () => {
  const access = setup();
  const created = await access.createRole(role('dev'));
  assert.ok(created.metadata.revision);
  await access.createRole(role('access'));
  assert.deepEqual((await access.getRole('dev')).spec, { allow: { logins: ['root'] } });
  assert.deepEqual((await access.listRoles()).map((r) => r.metadata.name), ['access', 'dev']);
  await access.upsertRole(role('dev', ['ubuntu']));
  assert.deepEqual((await access.getRole('dev')).spec.allow?.logins, ['ubuntu']);
  await access.deleteRole('dev');
  assert.deepEqual((await access.listRoles()).map((r) => r.metadata.name), ['access']);
});

test('role errors name the role', async () => {
  const access = setup();
  await assert.rejects(access.getRole('x'), new NotFoundError("role 'x' not found"));
  await assert.rejects(access.deleteRole('x'), new NotFoundError("role 'x' not found"));
  await assert.rejects(access.updateRole(role('x')), new NotFoundError("role 'x' not found"));
  await access.createRole(role('x'));
  await assert.rejects(access.createRole(role('x')), new AlreadyExistsError("role 'x' already exists"));
  await assert.rejects(access.getRole('a/b'), BadParameterError);
  await assert.rejects(access.createRole({ ...role('y'), kind: 'user' } as unknown as Role), /expected a resource of kind role/);
});

test('updateRole with a stale revision fails; concurrent updates from one read: exactly one wins', async () => {
  const access = setup();
  await access.createRole(role('x'));
  const read = await access.getRole('x');
  const results = await Promise.allSettled([
    access.updateRole({ ...read, spec: { allow: { logins: ['a'] } } }),
    access.updateRole({ ...read, spec: { allow: { logins: ['b'] } } }),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const lost = results.find((r) => r.status === 'rejected');
  assert.ok(lost?.status === 'rejected');
  assert.deepEqual(lost.reason, new CompareFailedError("role 'x' was changed by someone else; re-read it and try again"));
  // A fresh read carries the new revision and succeeds.
  const fresh = await access.getRole('x');
  await access.updateRole({ ...fresh, spec: {} });
  assert.deepEqual((await access.getRole('x')).spec, {});
});
