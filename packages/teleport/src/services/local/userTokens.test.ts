import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import { AlreadyExistsError, NotFoundError } from '@teleport-ts/api/errors';
import type { UserToken } from '@teleport-ts/api/types/userToken';
import { MemoryBackend } from '../../backend/memory.ts';
import { UserTokensService } from './userTokens.ts';

const GONE = new NotFoundError('invite token has already been used or has expired: ask an administrator for a new one');

function setup() {
  const clock = new FakeClock();
  const backend = new MemoryBackend({ clock, pollIntervalMs: 0 });
  const token = (id: string, user: string, subKind = 'invite', ttlMs = 3600_000): UserToken => ({
    kind: 'user_token', sub_kind: subKind, version: 'v3',
    metadata: { name: id, expires: new Date(clock.nowMs() + ttlMs).toISOString() },
    spec: { user, url: `https://proxy:3080/web/invite/${id}`, created: clock.now().toISOString() },
  });
  return { clock, tokens: new UserTokensService(backend), token };
}

test('user token CRUD and secrets', async () => {
  const { tokens, token } = setup();
  await tokens.createUserToken(token('t1', 'alice'));
  await tokens.createUserToken(token('t2', 'bob', 'reset'));
  await assert.rejects(tokens.createUserToken(token('t1', 'alice')), new AlreadyExistsError('a user token with this id already exists'));
  assert.equal((await tokens.getUserToken('t1')).spec.user, 'alice');
  assert.deepEqual((await tokens.listUserTokens()).map((t) => t.metadata.name), ['t1', 't2']);
  await tokens.setUserTokenSecrets('t1', { otpKey: 'JBSWY3DPEHPK3PXP' });
  assert.deepEqual(await tokens.getUserTokenSecrets('t1'), { otpKey: 'JBSWY3DPEHPK3PXP' });
  assert.deepEqual((await tokens.listUserTokens()).map((t) => t.metadata.name), ['t1', 't2'], 'secrets are not listed');
  await tokens.deleteUserToken('t1');
  await assert.rejects(tokens.getUserToken('t1'), GONE);
  await assert.rejects(tokens.getUserTokenSecrets('t1'), GONE);
  await assert.rejects(tokens.deleteUserToken('t1'), GONE);
  await assert.rejects(tokens.setUserTokenSecrets('t1', { otpKey: 'x' }), GONE);
});

test('tokens and their secrets expire together', async () => {
  const { tokens, token, clock } = setup();
  await tokens.createUserToken(token('t1', 'alice', 'invite', 60_000));
  await tokens.setUserTokenSecrets('t1', { otpKey: 'JBSWY3DPEHPK3PXP' });
  clock.advance(60_000);
  await assert.rejects(tokens.getUserToken('t1'), GONE);
  await assert.rejects(tokens.getUserTokenSecrets('t1'), GONE);
  await assert.rejects(tokens.consumeUserToken('t1'), GONE);
  assert.deepEqual(await tokens.listUserTokens(), []);
});

test('deleteUserTokensFor removes only that user\'s tokens', async () => {
  const { tokens, token } = setup();
  await tokens.createUserToken(token('a1', 'alice'));
  await tokens.createUserToken(token('a2', 'alice', 'reset'));
  await tokens.setUserTokenSecrets('a2', { otpKey: 'JBSWY3DPEHPK3PXP' });
  await tokens.createUserToken(token('b1', 'bob'));
  await tokens.deleteUserTokensFor('alice');
  assert.deepEqual((await tokens.listUserTokens()).map((t) => t.metadata.name), ['b1']);
  await assert.rejects(tokens.getUserTokenSecrets('a2'), NotFoundError);
});

test('consumeUserToken: of two concurrent completions exactly one wins', async () => {
  const { tokens, token } = setup();
  await tokens.createUserToken(token('t1', 'alice'));
  await tokens.setUserTokenSecrets('t1', { otpKey: 'JBSWY3DPEHPK3PXP' });
  const results = await Promise.allSettled([tokens.consumeUserToken('t1'), tokens.consumeUserToken('t1')]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r) => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.equal(won[0]?.status === 'fulfilled' && won[0].value.spec.user, 'alice');
  assert.deepEqual(lost[0]?.status === 'rejected' && lost[0].reason, GONE);
  await assert.rejects(tokens.getUserTokenSecrets('t1'), NotFoundError);
  await assert.rejects(tokens.consumeUserToken('t1'), GONE);
});

test('a lost race on a reset token says so', async () => {
  const { tokens, token } = setup();
  await tokens.createUserToken(token('r1', 'alice', 'reset'));
  const results = await Promise.allSettled([tokens.consumeUserToken('r1'), tokens.consumeUserToken('r1')]);
  const lost = results.find((r) => r.status === 'rejected');
  assert.ok(lost?.status === 'rejected');
  assert.equal((lost.reason as Error).message, 'password reset token has already been used or has expired: ask an administrator for a new one');
});

test('token ids never appear in error messages', async () => {
  const { tokens, token } = setup();
  const secret = 'deadbeefdeadbeefdeadbeefdeadbeef';
  await tokens.createUserToken(token(secret, 'alice'));
  for (const attempt of [() => tokens.createUserToken(token(secret, 'alice')), () => tokens.getUserToken(secret + '0')]) {
    await assert.rejects(attempt(), (err: Error) => !err.message.includes(secret) && err.cause === undefined);
  }
});
