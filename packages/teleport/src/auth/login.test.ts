/**
 * @module auth/login.test
 * Local password + OTP login: audit events for every attempt, one generic failure message whatever
 * was wrong (including for unknown users, who still cost an argon2 verification), one-time use of
 * OTP codes, and the 5-failures / 30-minutes lockout driven by a FakeClock.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';
import type { SecondFactor } from '@teleport-ts/api/types/clusterConfig';
import type { AuditEvent } from '@teleport-ts/api/events/types';
import { Authorizer } from './authorizer.ts';
import { ACCOUNT_LOCK_INTERVAL_MS, MAX_LOGIN_ATTEMPTS, authenticateLocalUser, type Credentials } from './login.ts';
import { generateTOTP, newTOTPSecret } from './totp.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { addUser, newTestAuthServer, type TestAuth } from './testAuthServer.ts';

const PASSWORD = 'correct horse battery staple';
const GENERIC = 'invalid username, password or second factor';

let t: TestAuth;

beforeEach(async () => {
  // Plain password login unless a test turns a second factor on (new clusters default to otp).
  t = await newTestAuthServer({ secondFactor: 'off' });
  await addUser(t, 'alice', ['access'], { password: PASSWORD, traits: { logins: ['alice'] } });
});

const login = (cred: Partial<Credentials> = {}) =>
  authenticateLocalUser(t.auth, { user: 'alice', password: PASSWORD, remoteAddr: '192.0.2.7:51000', ...cred });

function loginEvents(): AuditEvent[] {
  return t.audit.all().filter((e) => e.event === 'user.login');
}

function lastLogin(): AuditEvent {
  const e = loginEvents().at(-1);
  assert.ok(e, 'a user.login event was emitted');
  return e;
}

/** Asserts the attempt fails with `message` and was audited as T1000W with `reason`. */
async function failsWith(p: Promise<unknown>, reason: string, message = GENERIC): Promise<void> {
  const before = loginEvents().length;
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AccessDeniedError, `expected AccessDeniedError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
  assert.equal(loginEvents().length, before + 1, 'exactly one event per attempt');
  const e = lastLogin();
  assert.equal(e.code, 'T1000W');
  assert.equal(e.success, false);
  assert.equal(e.error, reason);
}

async function setSecondFactor(sf: SecondFactor): Promise<void> {
  const pref = await t.services.clusterConfig.getAuthPreference();
  await t.services.clusterConfig.setAuthPreference({ ...pref, spec: { ...pref.spec, second_factor: sf } });
}

async function enrollOTP(user = 'alice'): Promise<string> {
  const secret = newTOTPSecret();
  await t.services.users.addTOTPDevice(user, { id: crypto.randomUUID(), name: 'otp', secret, addedAt: t.clock.now() });
  return secret;
}

describe('authenticateLocalUser', () => {
  it('returns the user and emits T1000I on success', async () => {
    const user = await login();
    assert.equal(user.metadata.name, 'alice');
    const e = lastLogin();
    assert.equal(e.code, 'T1000I');
    assert.equal(e.user, 'alice');
    assert.equal(e.success, true);
    assert.equal(e.method, 'local');
    assert.equal(e['addr.remote'], '192.0.2.7:51000');
    assert.equal(e.cluster_name, 'example.com');
  });

  it('refuses a wrong password with the generic message and emits T1000W', async () => {
    await failsWith(login({ password: 'not the password!' }), 'invalid password');
    assert.equal(lastLogin().user, 'alice');
  });

  it('gives an unknown user the same message, and still spends an argon2 verification on it', async () => {
    await failsWith(login({ user: 'mallory' }), 'unknown user'); // warms the dummy hash up
    await failsWith(login({ password: 'not the password!' }), 'invalid password');
    // Interleaved samples, compared by their minimum: load only ever makes a sample slower.
    const unknown: number[] = [];
    const verify: number[] = [];
    const hash = await hashPassword(PASSWORD);
    for (let i = 0; i < 4; i++) {
      let start = performance.now();
      await login({ user: 'mallory' }).catch(() => undefined);
      unknown.push(performance.now() - start);
      start = performance.now();
      await verifyPassword(hash, 'not the password!');
      verify.push(performance.now() - start);
    }
    const [u, v] = [Math.min(...unknown), Math.min(...verify)];
    // An early return would take well under a millisecond; one argon2id verification takes tens.
    assert.ok(u > v * 0.5, `unknown user took ${u.toFixed(1)} ms, one password verification ${v.toFixed(1)} ms`);
  });

  it('treats a user without a password (invite not completed) like a wrong password', async () => {
    await addUser(t, 'bob', ['access']);
    await failsWith(login({ user: 'bob', password: '' }), 'invalid password');
    await failsWith(login({ user: 'bob' }), 'invalid password');
  });

  it('rejects an empty user name as a bad request', async () => {
    await assert.rejects(login({ user: '' }), BadParameterError);
  });

  describe('with second_factor otp', () => {
    let secret: string;
    beforeEach(async () => {
      await setSecondFactor('otp');
      secret = await enrollOTP();
    });

    it('requires the code', async () => {
      await failsWith(login(), 'missing OTP code');
      await failsWith(login({ otpCode: '   ' }), 'missing OTP code');
    });

    it('refuses a wrong code', async () => {
      const right = generateTOTP(secret, t.clock.nowMs());
      const wrong = right === '000000' ? '111111' : '000000';
      await failsWith(login({ otpCode: wrong }), 'invalid OTP code');
      await failsWith(login({ otpCode: 'abcdef' }), 'invalid OTP code');
    });

    it('checks the password before the code and never tells which was wrong', async () => {
      await failsWith(login({ password: 'not the password!', otpCode: generateTOTP(secret, t.clock.nowMs()) }), 'invalid password');
    });

    it('accepts the current code (and one step of drift) once, and refuses its replay', async () => {
      const code = generateTOTP(secret, t.clock.nowMs());
      await login({ otpCode: code });
      assert.equal(lastLogin().code, 'T1000I');
      await failsWith(login({ otpCode: code }), 'OTP code was already used');
      const previous = generateTOTP(secret, t.clock.nowMs() - 30_000);
      if (previous !== code) await login({ otpCode: previous });
    });

    it('refuses a user with no enrolled device', async () => {
      await addUser(t, 'carol', ['access'], { password: PASSWORD });
      await failsWith(login({ user: 'carol', otpCode: '123456' }), 'no OTP device enrolled');
    });
  });

  it('with second_factor off, ignores enrolled devices and codes', async () => {
    await setSecondFactor('off');
    await enrollOTP();
    await login();
    await login({ otpCode: '000000' });
    assert.deepEqual(loginEvents().map((e) => e.code), ['T1000I', 'T1000I']);
  });

  it('with second_factor optional, asks for a code only from users who enrolled a device', async () => {
    await setSecondFactor('optional');
    await login();
    await addUser(t, 'dave', ['access'], { password: PASSWORD });
    const secret = await enrollOTP('dave');
    await failsWith(login({ user: 'dave' }), 'missing OTP code');
    await login({ user: 'dave', otpCode: generateTOTP(secret, t.clock.nowMs()) });
  });

  describe('lockout', () => {
    async function failTimes(n: number): Promise<void> {
      for (let i = 0; i < n; i++) await login({ password: 'not the password!' }).catch(() => undefined);
    }

    it(`locks the user for 30 minutes after ${MAX_LOGIN_ATTEMPTS} failures, naming the unlock time`, async () => {
      assert.equal(MAX_LOGIN_ATTEMPTS, 5);
      assert.equal(ACCOUNT_LOCK_INTERVAL_MS, 30 * 60_000);
      const lockedAt = t.clock.nowMs();
      await failTimes(4);
      assert.equal((await t.services.users.getUser('alice')).spec.status?.is_locked, undefined, 'not locked after 4');
      await failTimes(1);
      const status = (await t.services.users.getUser('alice')).spec.status;
      const until = new Date(lockedAt + ACCOUNT_LOCK_INTERVAL_MS).toISOString();
      assert.equal(status?.is_locked, true);
      assert.equal(status.lock_expires, until);

      // The right password does not help while locked, and the message says until when and what to do.
      const message = `user 'alice' is temporarily locked after too many failed login attempts; try again after ${until} ` +
        "or ask an administrator to run 'tctl users reset alice'";
      await failsWith(login(), 'user is locked', message);
      t.clock.advance(ACCOUNT_LOCK_INTERVAL_MS - 1000);
      await failsWith(login(), 'user is locked', message);

      // A locked user's existing certificate stops working too.
      const authorizer = new Authorizer(t.services, t.auth.keyring, t.clock);
      await assert.rejects(authorizer.forUser({ username: 'alice', groups: ['access'], expires: new Date(8.64e15) }),
        new AccessDeniedError(`user 'alice' is locked until ${until}`));

      t.clock.advance(1000);
      assert.equal((await login()).metadata.name, 'alice');
      await authorizer.forUser({ username: 'alice', groups: ['access'], expires: new Date(8.64e15) });
    });

    it('starts counting afresh after the lock expires', async () => {
      await failTimes(5);
      t.clock.advance(ACCOUNT_LOCK_INTERVAL_MS);
      await failTimes(4);
      await login();
    });

    it('clears the failure count on a successful login', async () => {
      await failTimes(4);
      await login();
      assert.deepEqual(await t.services.users.listLoginAttempts('alice'), []);
      await failTimes(4);
      await login();
    });

    it('only counts failures within the last 30 minutes', async () => {
      await failTimes(4);
      t.clock.advance(ACCOUNT_LOCK_INTERVAL_MS + 1);
      await failTimes(1);
      assert.notEqual((await t.services.users.getUser('alice')).spec.status?.is_locked, true);
      await login();
    });

    it('counts OTP failures too', async () => {
      await setSecondFactor('otp');
      await enrollOTP();
      for (let i = 0; i < 5; i++) await login({ otpCode: '' }).catch(() => undefined);
      assert.equal((await t.services.users.getUser('alice')).spec.status?.is_locked, true);
    });

    it('never locks unknown users (and so never reveals them)', async () => {
      for (let i = 0; i < 6; i++) await failsWith(login({ user: 'mallory' }), 'unknown user');
    });
  });
});
