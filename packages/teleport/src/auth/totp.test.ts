import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadParameterError } from '@teleport-ts/api/errors';
import { TOTP_PERIOD_MS, generateTOTP, newTOTPSecret, totpURI, validateTOTP } from './totp.ts';

/** RFC 6238 appendix B: the ASCII secret "12345678901234567890" in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('RFC 6238 SHA1 vectors (last 6 of the 8 published digits)', () => {
  assert.equal(generateTOTP(RFC_SECRET, 59_000), '287082'); // 94287082
  assert.equal(generateTOTP(RFC_SECRET, 1111111109_000), '081804'); // 07081804
  assert.equal(generateTOTP(RFC_SECRET, 1234567890_000), '005924'); // 89005924
  assert.equal(generateTOTP(RFC_SECRET, 2000000000_000), '279037'); // 69279037
  assert.equal(validateTOTP(RFC_SECRET, '287082', 59_000), true);
});

test('a code is accepted one step either side of its own, not two', () => {
  const step = 1_000_000 * TOTP_PERIOD_MS; // start of an arbitrary step
  const code = generateTOTP(RFC_SECRET, step);
  assert.equal(generateTOTP(RFC_SECRET, step + TOTP_PERIOD_MS - 1), code, 'same code for the whole step');
  assert.notEqual(generateTOTP(RFC_SECRET, step + TOTP_PERIOD_MS), code);
  // Window edges: the previous step's last ms through the next step's last ms.
  assert.equal(validateTOTP(RFC_SECRET, code, step - TOTP_PERIOD_MS), true);
  assert.equal(validateTOTP(RFC_SECRET, code, step - TOTP_PERIOD_MS - 1), false);
  assert.equal(validateTOTP(RFC_SECRET, code, step + 2 * TOTP_PERIOD_MS - 1), true);
  assert.equal(validateTOTP(RFC_SECRET, code, step + 2 * TOTP_PERIOD_MS), false);
});

test('malformed codes and secrets are simply invalid', () => {
  assert.equal(validateTOTP(RFC_SECRET, '28708', 59_000), false);
  assert.equal(validateTOTP(RFC_SECRET, '2870822', 59_000), false);
  assert.equal(validateTOTP(RFC_SECRET, ' 287082', 59_000), false);
  assert.equal(validateTOTP(RFC_SECRET, 'abcdef', 59_000), false);
  assert.equal(validateTOTP('not base32!', '287082', 59_000), false);
  assert.throws(() => generateTOTP('not base32!', 59_000), BadParameterError);
});

test('newTOTPSecret: 20 random bytes in base32, from the injected source', () => {
  const s = newTOTPSecret();
  assert.match(s, /^[A-Z2-7]{32}$/);
  assert.notEqual(newTOTPSecret(), s);
  const fixed = newTOTPSecret((n) => new TextEncoder().encode('12345678901234567890'.slice(0, n)));
  assert.equal(fixed, RFC_SECRET);
  assert.equal(validateTOTP(fixed, generateTOTP(fixed, 59_000), 59_000), true);
});

test('totpURI is what authenticator apps scan', () => {
  const uri = new URL(totpURI({ secret: RFC_SECRET, account: 'alice', issuer: 'example.com' }));
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(uri.host, 'totp');
  assert.equal(decodeURIComponent(uri.pathname), '/example.com:alice');
  assert.equal(uri.searchParams.get('secret'), RFC_SECRET);
  assert.equal(uri.searchParams.get('issuer'), 'example.com');
  assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  assert.equal(uri.searchParams.get('digits'), '6');
  assert.equal(uri.searchParams.get('period'), '30');
});
