/**
 * @module auth/totp
 * Time-based one-time passwords (RFC 6238) as authenticator apps implement them: SHA1, 6 digits, 30 s
 * steps, and one step of drift accepted either side. Every function takes the time explicitly (from the
 * caller's injected Clock), so nothing here reads the wall clock. Replay protection (a code works once)
 * is the caller's job, via UsersService.markTOTPCodeUsed.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { BadParameterError } from '@teleport-ts/api/errors';

/** Length of one step in milliseconds. */
export const TOTP_PERIOD_MS = 30_000;
/** Digits per code. */
export const TOTP_DIGITS = 6;
/** Steps of clock drift accepted on each side of the current one. */
export const TOTP_WINDOW = 1;
/** How long an accepted code must be remembered so it cannot be replayed while it is still valid. */
export const TOTP_REPLAY_WINDOW_MS = (2 * TOTP_WINDOW + 1) * TOTP_PERIOD_MS;
/** Bytes of randomness in a new secret (160 bits, RFC 4226's recommendation). */
const SECRET_BYTES = 20;

const params = { algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_MS / 1000 } as const;

function parseSecret(secret: string): Secret {
  try {
    return Secret.fromBase32(secret);
  } catch {
    throw new BadParameterError('TOTP secret is not valid base32');
  }
}

/** A new random shared secret, base32 without padding. `random` is injectable for tests. */
export function newTOTPSecret(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = Uint8Array.from(random(SECRET_BYTES));
  return new Secret({ buffer: bytes.buffer }).base32;
}

/** The otpauth:// URI an authenticator app scans, e.g. otpauth://totp/teleport:alice?secret=...&issuer=teleport. */
export function totpURI(opts: { secret: string; account: string; issuer: string }): string {
  return new TOTP({ ...params, issuer: opts.issuer, label: opts.account, secret: parseSecret(opts.secret) }).toString();
}

/** The code for the step containing `timeMs`. */
export function generateTOTP(secret: string, timeMs: number): string {
  return TOTP.generate({ ...params, secret: parseSecret(secret), timestamp: timeMs });
}

/**
 * True when `code` is the code for the step containing `timeMs` or an adjacent step. A malformed secret
 * or code is simply invalid. The comparison inside otpauth is constant-time.
 */
export function validateTOTP(secret: string, code: string, timeMs: number): boolean {
  if (typeof code !== 'string' || !/^\d+$/.test(code) || code.length !== TOTP_DIGITS) return false;
  let parsed: Secret;
  try {
    parsed = parseSecret(secret);
  } catch {
    return false;
  }
  return TOTP.validate({ ...params, token: code, secret: parsed, timestamp: timeMs, window: TOTP_WINDOW }) !== null;
}
