/**
 * @module auth/password
 * Password hashing (argon2id, m=19456 KiB, t=2, p=1 - OWASP's baseline, about 57 ms per hash here) and
 * the password policy. Hashes are PHC strings ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>") that carry
 * their own parameters, so raising the cost later keeps old hashes verifiable.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Options } from '@node-rs/argon2';
import { BadParameterError } from '@teleport-ts/api/errors';

/** Shortest accepted password (upstream's default). */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password; bounds the work one login can ask the hasher to do. */
export const MAX_PASSWORD_LENGTH = 128;

/** argon2id parameters for new hashes. */
const ARGON2_OPTIONS: Options = {
  // Algorithm.Argon2id; the package exports it as an ambient const enum, which isolatedModules cannot inline.
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * Only argon2id PHC strings are handed to the verifier; anything else is rejected up front. The digit
 * limits cap the memory (< 1 GiB) and passes a corrupt stored hash could make one login burn.
 */
const PHC_ARGON2ID = /^\$argon2id\$v=19\$m=\d{1,6},t=\d{1,2},p=\d{1,2}\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$/;

/** Throws BadParameterError unless the password meets the policy (length 12 to 128 characters). */
export function checkPasswordStrength(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new BadParameterError(`password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new BadParameterError(`password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  }
}

/** Hashes a password with argon2id and a fresh random salt; returns the PHC string. */
export async function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/**
 * True when `password` matches `hash`. The comparison inside argon2 is constant-time. A malformed or
 * foreign hash returns false without throwing or logging (the hash and password never reach a log).
 */
export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  if (typeof hashed !== 'string' || typeof password !== 'string' || !PHC_ARGON2ID.test(hashed)) return false;
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}
