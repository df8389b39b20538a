import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { BadParameterError, CompareFailedError, NotFoundError, AlreadyExistsError } from '@teleport-ts/api/errors';
import type { Role } from '@teleport-ts/api/types/role';
import { MemoryBackend } from '../../backend/memory.ts';
import { fromBytes } from '../../backend/backend.ts';
import {
  checkName, createJSON, deleteKey, directChild, fromItem, getJSON, listJSON, putJSON, toItem, updateJSON,
} from './resourceStore.ts';

const role = (name: string, extra: Partial<Role['metadata']> = {}): Role => ({
  kind: 'role', version: 'v7', metadata: { name, ...extra }, spec: { allow: { logins: ['root'] } },
});

function setup() {
  const clock = new FakeClock();
  return { clock, backend: new MemoryBackend({ clock, pollIntervalMs: 0 }) };
}

test('toItem leaves the revision out of the stored value and maps metadata.expires to the item expiry', () => {
  const item = toItem('/roles/a', role('a', { revision: 'r1', expires: '2026-01-01T01:00:00Z' }));
  const stored = JSON.parse(fromBytes(item.value)) as Role;
  assert.equal(stored.metadata.revision, undefined);
  assert.equal(item.expires, Date.UTC(2026, 0, 1, 1));
  assert.equal(toItem('/roles/b', role('b')).expires, undefined);
});

test('toItem rejects an unparseable metadata.expires', () => {
  assert.throws(() => toItem('/roles/a', role('a', { expires: 'tomorrow' })), (err: unknown) =>
    err instanceof BadParameterError && /metadata\.expires "tomorrow" is not a valid time/.test(err.message));
});

test('fromItem fills revision, and expires when a keep-alive moved it', () => {
  const item = { ...toItem('/roles/a', role('a', { expires: '2026-01-01T01:00:00Z' })), revision: 'r9' };
  assert.equal(fromItem<Role>(item).metadata.revision, 'r9');
  assert.equal(fromItem<Role>(item).metadata.expires, '2026-01-01T01:00:00Z');
  const moved = fromItem<Role>({ ...item, expires: Date.UTC(2026, 0, 1, 2) });
  assert.equal(moved.metadata.expires, '2026-01-01T02:00:00.000Z');
});

test('get/create/delete name the object in errors', async () => {
  const { backend } = setup();
  await assert.rejects(getJSON(backend, '/roles/x', "role 'x'"), new NotFoundError("role 'x' not found"));
  const created = await createJSON(backend, '/roles/x', role('x'), "role 'x'");
  assert.ok(created.metadata.revision);
  await assert.rejects(createJSON(backend, '/roles/x', role('x'), "role 'x'"), new AlreadyExistsError("role 'x' already exists"));
  await deleteKey(backend, '/roles/x', "role 'x'");
  await assert.rejects(deleteKey(backend, '/roles/x', "role 'x'"), new NotFoundError("role 'x' not found"));
});

test('expired resources disappear', async () => {
  const { backend, clock } = setup();
  await putJSON(backend, '/roles/t', role('t', { expires: new Date(clock.nowMs() + 1000).toISOString() }));
  await getJSON(backend, '/roles/t', "role 't'");
  clock.advance(1000);
  await assert.rejects(getJSON(backend, '/roles/t', "role 't'"), NotFoundError);
});

test('updateJSON: without a revision it overwrites; with a stale one it fails; with the current one it wins', async () => {
  const { backend } = setup();
  await assert.rejects(updateJSON(backend, '/roles/x', role('x'), "role 'x'"), new NotFoundError("role 'x' not found"));
  const v1 = await createJSON(backend, '/roles/x', role('x'), "role 'x'");
  const v2 = await updateJSON(backend, '/roles/x', { ...v1, spec: {} }, "role 'x'");
  assert.notEqual(v2.metadata.revision, v1.metadata.revision);
  await assert.rejects(
    updateJSON(backend, '/roles/x', v1, "role 'x'"),
    new CompareFailedError("role 'x' was changed by someone else; re-read it and try again"),
  );
  const v3 = await updateJSON(backend, '/roles/x', { ...v2, spec: { deny: {} } }, "role 'x'");
  assert.deepEqual((await getJSON<Role>(backend, '/roles/x', "role 'x'")).spec, { deny: {} });
  assert.equal((await getJSON<Role>(backend, '/roles/x', "role 'x'")).metadata.revision, v3.metadata.revision);
  // Unconditional (no revision) overwrite still works after conditional ones.
  const { revision: _r, ...metadata } = v1.metadata;
  await updateJSON(backend, '/roles/x', { ...v1, metadata }, "role 'x'");
});

test('listJSON with directChild skips nested records', async () => {
  const { backend } = setup();
  await putJSON(backend, '/users/a/params', role('a'));
  await putJSON(backend, '/users/a/mfa/params', role('nested'));
  await putJSON(backend, '/users/b/params', role('b'));
  const names = (await listJSON<Role>(backend, '/users/', directChild('/users/', 'params'))).map((r) => r.metadata.name);
  assert.deepEqual(names, ['a', 'b']);
});

test('checkName rejects empty names and path separators', () => {
  assert.throws(() => checkName('user', ''), /user name must not be empty/);
  assert.throws(() => checkName('user', 'a/b'), /must not contain '\/'/);
  assert.throws(() => checkName('user', '..'), BadParameterError);
  checkName('user', 'alice@example.com');
});
