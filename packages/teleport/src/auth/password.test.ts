import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, checkPasswordStrength, hashPassword, verifyPassword } from './password.ts';

test('hashPassword produces an argon2id PHC string with the agreed parameters and a fresh salt', async () => {
  const a = await hashPassword('correct horse battery staple');
  const b = await hashPassword('correct horse battery staple');
  assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b);
});

test('verifyPassword accepts the right password only', async () => {
  const hash = await hashPassword('correct horse battery staple');
  assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
  assert.equal(await verifyPassword(hash, 'correct horse battery stapl'), false);
  assert.equal(await verifyPassword(hash, ''), false);
});

test('verifyPassword returns false for malformed or foreign hashes', async () => {
  const hash = await hashPassword('correct horse battery staple');
  for (const bad of ['', 'plaintext', '$2b$10$abcdefghijklmnopqrstuuJ0gZ5kdyBd5o2Y8WRE6pTxYQ8l0yZ4i',
    hash.slice(0, -5), hash.replace('argon2id', 'argon2i'), hash.replace('m=19456', 'm=99999999')]) {
    assert.equal(await verifyPassword(bad, 'correct horse battery staple'), false, bad);
  }
});

test('checkPasswordStrength enforces 12..128 characters', () => {
  assert.equal(MIN_PASSWORD_LENGTH, 12);
  assert.throws(() => checkPasswordStrength('short'), new BadParameterError('password must be at least 12 characters long'));
  assert.throws(() => checkPasswordStrength('a'.repeat(11)), BadParameterError);
  checkPasswordStrength('a'.repeat(12));
  checkPasswordStrength('a'.repeat(MAX_PASSWORD_LENGTH));
  assert.throws(() => checkPasswordStrength('a'.repeat(MAX_PASSWORD_LENGTH + 1)),
    new BadParameterError('password must be at most 128 characters long'));
});
