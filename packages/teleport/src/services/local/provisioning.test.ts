import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AccessDeniedError, AlreadyExistsError, BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import { MemoryBackend } from '../../backend/memory.ts';
import { ProvisioningService } from './provisioning.ts';

const UNKNOWN = new AccessDeniedError("join token not found: check that it was copied correctly, or create a new one with 'tctl tokens add'");
const USED = new AccessDeniedError("join token has already been used the maximum number of times: create a new one with 'tctl tokens add'");

function setup() {
  const clock = new FakeClock();
  const backend = new MemoryBackend({ clock, pollIntervalMs: 0 });
  const token = (name: string, opts: { ttlMs?: number; maxUses?: number } = {}): ProvisionToken => ({
    kind: 'token', version: 'v2',
    metadata: { name, ...(opts.ttlMs !== undefined && { expires: new Date(clock.nowMs() + opts.ttlMs).toISOString() }) },
    spec: { roles: ['Node'], join_method: 'token', ...(opts.maxUses !== undefined && { max_uses: opts.maxUses }) },
  });
  return { clock, provisioning: new ProvisioningService(backend), token };
}

test('join token CRUD', async () => {
  const { provisioning, token } = setup();
  await provisioning.createToken(token('aaa', { ttlMs: 1800_000 }));
  await provisioning.upsertToken(token('bbb'));
  await assert.rejects(provisioning.createToken(token('aaa')), new AlreadyExistsError('join token already exists'));
  assert.deepEqual((await provisioning.getToken('aaa')).spec.roles, ['Node']);
  assert.deepEqual((await provisioning.listTokens()).map((t) => t.metadata.name), ['aaa', 'bbb']);
  await provisioning.deleteToken('aaa');
  await assert.rejects(provisioning.getToken('aaa'), new NotFoundError('join token not found'));
  await assert.rejects(provisioning.deleteToken('aaa'), new NotFoundError('join token not found'));
  await assert.rejects(provisioning.createToken(token('ccc', { maxUses: 0 })), BadParameterError);
});

test('consume: unknown, unlimited, revoked', async () => {
  const { provisioning, token, clock } = setup();
  await assert.rejects(provisioning.consumeProvisionToken('nope', clock), UNKNOWN);
  await provisioning.createToken(token('multi', { ttlMs: 1800_000 }));
  for (let i = 0; i < 3; i++) assert.equal((await provisioning.consumeProvisionToken('multi', clock)).metadata.name, 'multi');
  assert.equal((await provisioning.getToken('multi')).spec.uses, undefined, 'tokens without max_uses are not counted');
  await provisioning.deleteToken('multi');
  await assert.rejects(provisioning.consumeProvisionToken('multi', clock), UNKNOWN);
});

test('consume: an expired token says it expired, both before and after the backend drops it', async () => {
  const { provisioning, token, clock } = setup();
  await provisioning.createToken(token('short', { ttlMs: 60_000 }));
  await provisioning.consumeProvisionToken('short', clock);
  // A caller whose clock is ahead of the backend's sees the expiry from metadata.
  const ahead = new FakeClock(clock.nowMs() + 60_000);
  await assert.rejects(provisioning.consumeProvisionToken('short', ahead),
    new AccessDeniedError("join token expired at 2026-01-01T00:01:00.000Z: create a new one with 'tctl tokens add'"));
  clock.advance(60_000);
  await assert.rejects(provisioning.getToken('short'), NotFoundError);
  await assert.rejects(provisioning.consumeProvisionToken('short', clock), /join token expired at 2026-01-01T00:01:00.000Z/);
  clock.advance(25 * 3600_000);
  await assert.rejects(provisioning.consumeProvisionToken('short', clock), UNKNOWN);
});

test('consume: max_uses counts uses and deletes the spent token', async () => {
  const { provisioning, token, clock } = setup();
  await provisioning.createToken(token('twice', { ttlMs: 1800_000, maxUses: 2 }));
  assert.equal((await provisioning.consumeProvisionToken('twice', clock)).spec.uses, 1);
  assert.equal((await provisioning.getToken('twice')).spec.uses, 1);
  assert.equal((await provisioning.consumeProvisionToken('twice', clock)).spec.uses, 2);
  await assert.rejects(provisioning.getToken('twice'), NotFoundError);
  await assert.rejects(provisioning.consumeProvisionToken('twice', clock), USED);
});

test('consume: concurrent joins never overspend max_uses', async () => {
  const { provisioning, token, clock } = setup();
  await provisioning.createToken(token('three', { ttlMs: 1800_000, maxUses: 3 }));
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => provisioning.consumeProvisionToken('three', clock)));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 3);
  assert.deepEqual(won.map((r) => r.status === 'fulfilled' && r.value.spec.uses).sort(), [1, 2, 3]);
  for (const r of results) if (r.status === 'rejected') assert.deepEqual(r.reason, USED);
});

test('a spent token left behind by a crash is refused', async () => {
  const { provisioning, token, clock } = setup();
  await provisioning.upsertToken({ ...token('left', { maxUses: 1 }), spec: { roles: ['Node'], max_uses: 1, uses: 1 } });
  await assert.rejects(provisioning.consumeProvisionToken('left', clock), USED);
});

test('error messages never contain the token', async () => {
  const { provisioning, token, clock } = setup();
  const secret = '0123456789abcdef0123456789abcdef';
  await provisioning.createToken(token(secret, { ttlMs: 1000, maxUses: 1 }));
  await assert.rejects(provisioning.createToken(token(secret)), (err: Error) => !err.message.includes(secret));
  clock.advance(1000);
  await assert.rejects(provisioning.consumeProvisionToken(secret, clock), (err: Error) => !err.message.includes(secret));
});
