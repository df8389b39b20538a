import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, CompareFailedError, NotFoundError } from '@teleport-ts/api/errors';
import type { User } from '@teleport-ts/api/types/user';
import type { UserToken } from '@teleport-ts/api/types/userToken';
import type { Backend } from '../../backend/backend.ts';
import { MemoryBackend } from '../../backend/memory.ts';
import { openSQLiteBackend } from '../../backend/sqlite.ts';
import { UsersService } from './users.ts';
import { UserTokensService } from './userTokens.ts';

const user = (name: string, roles = ['access']): User => ({ kind: 'user', version: 'v2', metadata: { name }, spec: { roles } });

const inviteFor = (id: string, name: string, clock: FakeClock): UserToken => ({
  kind: 'user_token', sub_kind: 'invite', version: 'v3',
  metadata: { name: id, expires: new Date(clock.nowMs() + 3600_000).toISOString() },
  spec: { user: name, url: `https://proxy:3080/web/invite/${id}`, created: clock.now().toISOString() },
});

function setup() {
  const clock = new FakeClock();
  const backend = new MemoryBackend({ clock, pollIntervalMs: 0 });
  return { clock, backend, users: new UsersService(backend), tokens: new UserTokensService(backend) };
}

/** The user lifecycle, run against every backend. */
async function lifecycle(backend: Backend, clock: FakeClock): Promise<void> {
  const users = new UsersService(backend);
  await users.createUser(user('alice'));
  await users.createUser(user('bob'));
  await assert.rejects(users.createUser(user('alice')), new AlreadyExistsError("user 'alice' already exists"));
  assert.deepEqual((await users.listUsers()).map((u) => u.metadata.name), ['alice', 'bob']);
  await users.setPasswordHash('alice', '$argon2id$fake');
  assert.equal(await users.getPasswordHash('alice'), '$argon2id$fake');
  await users.addTOTPDevice('alice', { id: 'd1', name: 'phone', secret: 'JBSWY3DPEHPK3PXP', addedAt: clock.now() });
  await users.addLoginAttempt('alice', { time: clock.now(), success: false }, 60_000);
  const read = await users.getUser('alice');
  assert.equal(JSON.stringify(read).includes('argon2'), false, 'the user resource never carries the hash');
  const updated = await users.updateUser({ ...read, spec: { roles: ['editor'] } });
  await assert.rejects(users.updateUser(read), CompareFailedError);
  await users.updateUser({ ...updated, spec: { roles: ['auditor'] } });
  assert.deepEqual((await users.getUser('alice')).spec.roles, ['auditor']);
  assert.equal((await users.listMFADevices('alice')).length, 1);
  assert.equal((await users.listLoginAttempts('alice')).length, 1);
  await users.deleteUser('alice');
  await assert.rejects(users.getUser('alice'), new NotFoundError("user 'alice' not found"));
  await users.createUser(user('alice'));
  await assert.rejects(users.getPasswordHash('alice'), NotFoundError);
  assert.deepEqual(await users.listMFADevices('alice'), []);
  assert.deepEqual(await users.listLoginAttempts('alice'), []);
}

test('user lifecycle against MemoryBackend', async () => {
  const { backend, clock } = setup();
  await lifecycle(backend, clock);
});

test('user lifecycle against SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'teleport-users-'));
  const clock = new FakeClock();
  const backend = await openSQLiteBackend({ path: join(dir, 'sqlite.db'), clock, pollIntervalMs: 0 });
  try {
    await lifecycle(backend, clock);
  } finally {
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('user errors name the user', async () => {
  const { users } = setup();
  await assert.rejects(users.getUser('bob'), new NotFoundError("user 'bob' not found"));
  await assert.rejects(users.deleteUser('bob'), new NotFoundError("user 'bob' not found"));
  await assert.rejects(users.updateUser(user('bob')), new NotFoundError("user 'bob' not found"));
  await assert.rejects(users.setPasswordHash('bob', 'h'), new NotFoundError("user 'bob' not found"));
  await users.createUser(user('bob'));
  await assert.rejects(users.getPasswordHash('bob'), new NotFoundError("no password is set for user 'bob'"));
  await users.upsertUser(user('bob', ['editor']));
  assert.deepEqual((await users.getUser('bob')).spec.roles, ['editor']);
});

test('deleteUser cascades to secrets and tokens, and only for that user', async () => {
  const { users, tokens, clock } = setup();
  for (const name of ['bob', 'bobby']) {
    await users.createUser(user(name));
    await users.setPasswordHash(name, `hash-${name}`);
    await users.addTOTPDevice(name, { id: `dev-${name}`, name: 'phone', secret: 'JBSWY3DPEHPK3PXP', addedAt: clock.now() });
    await users.addLoginAttempt(name, { time: clock.now(), success: false }, 60_000);
    await users.markTOTPCodeUsed(name, '123456', clock.nowMs() + 90_000);
    await tokens.createUserToken(inviteFor(`tok-${name}`, name, clock));
  }
  await users.deleteUser('bob');
  await users.createUser(user('bob'));
  await assert.rejects(users.getPasswordHash('bob'), NotFoundError);
  assert.deepEqual(await users.listMFADevices('bob'), []);
  assert.deepEqual(await users.listLoginAttempts('bob'), []);
  await users.markTOTPCodeUsed('bob', '123456', clock.nowMs() + 90_000);
  await assert.rejects(tokens.getUserToken('tok-bob'), NotFoundError);
  // bobby is untouched.
  assert.equal(await users.getPasswordHash('bobby'), 'hash-bobby');
  assert.equal((await users.listMFADevices('bobby')).length, 1);
  assert.equal((await users.listLoginAttempts('bobby')).length, 1);
  await tokens.getUserToken('tok-bobby');
});

test('MFA devices: add, list with secrets, reject duplicates, delete by id or name', async () => {
  const { users, clock } = setup();
  await assert.rejects(users.addTOTPDevice('carol', { id: 'x', name: 'n', secret: 's', addedAt: clock.now() }), NotFoundError);
  await users.createUser(user('carol'));
  const added = await users.addTOTPDevice('carol', { id: 'd1', name: 'phone', secret: 'JBSWY3DPEHPK3PXP', addedAt: clock.now() });
  assert.equal(added.type, 'totp');
  await users.addTOTPDevice('carol', { id: 'd2', name: 'tablet', secret: 'KRSXG5CTMVRXEZLU', addedAt: clock.now() });
  await assert.rejects(
    users.addTOTPDevice('carol', { id: 'd3', name: 'phone', secret: 's', addedAt: clock.now() }),
    new AlreadyExistsError("MFA device named 'phone' already exists for user 'carol': pick another name"),
  );
  await assert.rejects(users.addTOTPDevice('carol', { id: 'd1', name: 'other', secret: 's', addedAt: clock.now() }), AlreadyExistsError);
  const devices = await users.listMFADevices('carol');
  assert.deepEqual(devices.map((d) => [d.id, d.name, d.secret]), [['d1', 'phone', 'JBSWY3DPEHPK3PXP'], ['d2', 'tablet', 'KRSXG5CTMVRXEZLU']]);
  assert.ok(devices[0]?.addedAt instanceof Date);
  assert.equal(devices[0]?.addedAt.getTime(), clock.nowMs());
  await users.deleteMFADevice('carol', 'd1');
  await users.deleteMFADevice('carol', 'tablet');
  assert.deepEqual(await users.listMFADevices('carol'), []);
  await assert.rejects(users.deleteMFADevice('carol', 'd1'), new NotFoundError("MFA device 'd1' not found for user 'carol'"));
});

test('login attempts expire after their TTL and can be cleared', async () => {
  const { users, clock } = setup();
  await users.addLoginAttempt('dave', { time: clock.now(), success: false }, 30 * 60_000);
  clock.advance(10 * 60_000);
  await users.addLoginAttempt('dave', { time: clock.now(), success: true }, 30 * 60_000);
  const attempts = await users.listLoginAttempts('dave');
  assert.deepEqual(attempts.map((a) => a.success), [false, true]);
  assert.ok(attempts[0]?.time instanceof Date);
  clock.advance(20 * 60_000);
  assert.deepEqual((await users.listLoginAttempts('dave')).map((a) => a.success), [true]);
  await users.deleteLoginAttempts('dave');
  assert.deepEqual(await users.listLoginAttempts('dave'), []);
});

test('markTOTPCodeUsed refuses a replay until the code expires, even when concurrent', async () => {
  const { users, clock } = setup();
  const until = clock.nowMs() + 90_000;
  const results = await Promise.allSettled([users.markTOTPCodeUsed('erin', '287082', until), users.markTOTPCodeUsed('erin', '287082', until)]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  await assert.rejects(
    users.markTOTPCodeUsed('erin', '287082', until),
    new AlreadyExistsError('this one-time code has already been used: wait for the next code and try again'),
  );
  await users.markTOTPCodeUsed('frank', '287082', until); // per user
  clock.advance(90_000);
  await users.markTOTPCodeUsed('erin', '287082', clock.nowMs() + 90_000);
  await assert.rejects(users.markTOTPCodeUsed('erin', '../x', until), /one-time code must be 6 to 8 digits/);
});

test('deletePasswordHash is idempotent', async () => {
  const { users } = setup();
  await users.createUser(user('gina'));
  await users.deletePasswordHash('gina');
  await users.setPasswordHash('gina', 'h');
  await users.deletePasswordHash('gina');
  await assert.rejects(users.getPasswordHash('gina'), NotFoundError);
});
