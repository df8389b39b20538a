/**
 * @module auth/userTokens.test
 * Invite and reset tokens: creation (URL, TTLs, audit), reading (the OTP secret only when the cluster
 * requires OTP), completion that checks everything before consuming the token, single use, expiry
 * on the FakeClock, and what a reset takes away and gives back.
 */
import { beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { UserTokenTTL } from '@teleport-ts/api/types/userToken';
import { authenticateLocalUser } from './login.ts';
import { hashPassword } from './password.ts';
import { generateTOTP, newTOTPSecret } from './totp.ts';
import { addUser, newTestAuthServer, type TestAuth } from './testAuthServer.ts';

const PASSWORD = 'correct horse battery staple';
const GONE = 'invite or reset token not found: it has expired or was already used; ask an administrator for a new one';

let t: TestAuth;

async function setup(secondFactor: 'off' | 'otp'): Promise<void> {
  t = await newTestAuthServer({ secondFactor });
  await addUser(t, 'alice', ['access']);
}

const invite = (ttlMs?: number) => t.auth.createUserToken({ user: 'alice', kind: 'invite', createdBy: 'admin', ...(ttlMs !== undefined && { ttlMs }) });
const gone = (p: Promise<unknown>) => assert.rejects(p, new NotFoundError(GONE));
const login = (password: string, otpCode?: string) =>
  authenticateLocalUser(t.auth, { user: 'alice', password, ...(otpCode !== undefined && { otpCode }) });

describe('createUserToken', () => {
  beforeEach(() => setup('off'));

  it('creates an invite whose URL points at the proxy, valid for 1h by default, and audits it', async () => {
    const token = await invite();
    const id = token.metadata.name;
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(token.kind, 'user_token');
    assert.equal(token.sub_kind, 'invite');
    assert.equal(token.spec.user, 'alice');
    assert.equal(token.spec.url, `https://proxy.example.com:3080/web/invite/${id}`);
    assert.equal(token.spec.created, t.clock.now().toISOString());
    assert.equal(token.metadata.expires, new Date(t.clock.nowMs() + 3600_000).toISOString());
    const e = t.audit.all().find((x) => x.event === 'reset_password_token.create');
    assert.ok(e);
    assert.equal(e.code, 'T6000I');
    assert.equal(e.name, 'alice');
    assert.equal(e.user, 'admin');
    assert.equal(e.ttl, '1h0m0s');
    assert.doesNotMatch(JSON.stringify(e), new RegExp(id), 'the secret token id stays out of the audit log');
  });

  it('gives reset tokens a /web/reset URL and 8h by default', async () => {
    const token = await t.auth.createUserToken({ user: 'alice', kind: 'reset' });
    assert.equal(token.sub_kind, 'reset');
    assert.match(token.spec.url, /^https:\/\/proxy\.example\.com:3080\/web\/reset\/[0-9a-f]{32}$/);
    assert.equal(token.metadata.expires, new Date(t.clock.nowMs() + UserTokenTTL.resetDefaultMs).toISOString());
  });

  it('accepts TTLs up to the maximum (48h invite, 24h reset) and refuses longer ones', async () => {
    const long = await invite(48 * 3600_000);
    assert.equal(long.metadata.expires, new Date(t.clock.nowMs() + 48 * 3600_000).toISOString());
    await assert.rejects(invite(48 * 3600_000 + 1), new BadParameterError('invite token TTL cannot exceed 48h'));
    await assert.rejects(t.auth.createUserToken({ user: 'alice', kind: 'reset', ttlMs: 25 * 3600_000 }),
      new BadParameterError('reset token TTL cannot exceed 24h'));
    assert.equal((await invite(0)).metadata.expires, new Date(t.clock.nowMs() + 3600_000).toISOString(), '0 means the default');
  });

  it('names a missing user', async () => {
    await assert.rejects(t.auth.createUserToken({ user: 'nobody', kind: 'invite' }), NotFoundError);
  });

  it('replaces the previous token of the same user', async () => {
    const first = await invite();
    const second = await invite();
    await gone(t.auth.getUserToken(first.metadata.name));
    assert.equal((await t.auth.getUserToken(second.metadata.name)).token.spec.user, 'alice');
  });
});

describe('getUserToken', () => {
  it('returns no OTP secret when the cluster does not require OTP', async () => {
    await setup('off');
    const info = await t.auth.getUserToken((await invite()).metadata.name);
    assert.equal(info.otpRequired, false);
    assert.equal(info.otpSecret, undefined);
    assert.equal(info.otpURI, undefined);
    assert.equal(info.token.spec.user, 'alice');
  });

  it('returns the OTP secret and otpauth URI to enroll when OTP is required, the same on every read', async () => {
    await setup('otp');
    const id = (await invite()).metadata.name;
    const info = await t.auth.getUserToken(id);
    assert.equal(info.otpRequired, true);
    assert.match(info.otpSecret ?? '', /^[A-Z2-7]{32}$/);
    assert.match(info.otpURI ?? '', /^otpauth:\/\/totp\/example\.com:alice\?/);
    assert.match(info.otpURI ?? '', new RegExp(`secret=${info.otpSecret}`));
    assert.equal((await t.auth.getUserToken(id)).otpSecret, info.otpSecret);
  });

  it('refuses unknown and malformed ids with one message', async () => {
    await setup('off');
    await gone(t.auth.getUserToken('0'.repeat(32)));
    await gone(t.auth.getUserToken('../../users/alice/pwd'));
    await gone(t.auth.getUserToken(''));
  });
});

describe('changePasswordWithToken', () => {
  it('sets the password, consumes the token, audits T1005I, and refuses a replay', async () => {
    await setup('off');
    const tokenId = (await invite()).metadata.name;
    assert.equal(await t.auth.changePasswordWithToken({ tokenId, password: PASSWORD, remoteAddr: '192.0.2.1:5000' }), 'alice');
    assert.equal((await login(PASSWORD)).metadata.name, 'alice');
    const e = t.audit.all().find((x) => x.event === 'user.password_change');
    assert.equal(e?.code, 'T1005I');
    assert.equal(e.user, 'alice');
    assert.equal(e['addr.remote'], '192.0.2.1:5000');
    await gone(t.auth.getUserToken(tokenId));
    await gone(t.auth.changePasswordWithToken({ tokenId, password: 'another long password' }));
    assert.equal((await login(PASSWORD)).metadata.name, 'alice', 'the replay changed nothing');
  });

  it('checks password strength before consuming: a short password leaves the token usable', async () => {
    await setup('off');
    const tokenId = (await invite()).metadata.name;
    await assert.rejects(t.auth.changePasswordWithToken({ tokenId, password: 'short' }),
      new BadParameterError('password must be at least 12 characters long'));
    await assert.rejects(t.auth.changePasswordWithToken({ tokenId, password: 'x'.repeat(129) }), BadParameterError);
    await t.auth.getUserToken(tokenId);
    await t.auth.changePasswordWithToken({ tokenId, password: PASSWORD });
  });

  it('with OTP required: a missing or wrong code leaves the token usable; the right one enrolls the device', async () => {
    await setup('otp');
    const tokenId = (await invite()).metadata.name;
    const { otpSecret } = await t.auth.getUserToken(tokenId);
    assert.ok(otpSecret);
    await assert.rejects(t.auth.changePasswordWithToken({ tokenId, password: PASSWORD }), BadParameterError);
    const right = generateTOTP(otpSecret, t.clock.nowMs());
    const wrong = generateTOTP(newTOTPSecret(), t.clock.nowMs());
    if (wrong !== right) {
      await assert.rejects(t.auth.changePasswordWithToken({ tokenId, password: PASSWORD, otpCode: wrong }), AccessDeniedError);
    }
    await t.auth.getUserToken(tokenId);
    assert.deepEqual(await t.services.users.listMFADevices('alice'), [], 'nothing enrolled by failed attempts');

    await t.auth.changePasswordWithToken({ tokenId, password: PASSWORD, otpCode: ` ${right} ` });
    const devices = await t.services.users.listMFADevices('alice');
    assert.equal(devices.length, 1);
    assert.equal(devices[0]?.secret, otpSecret);
    await gone(t.auth.getUserToken(tokenId));

    // The enrollment code is spent: someone who saw it cannot log in with it as well.
    await assert.rejects(login(PASSWORD, right), AccessDeniedError);
    t.clock.advance(30_000);
    await login(PASSWORD, generateTOTP(otpSecret, t.clock.nowMs()));
  });

  it('refuses an expired token', async () => {
    await setup('off');
    const tokenId = (await invite()).metadata.name;
    t.clock.advance(3600_000 - 1);
    await t.auth.getUserToken(tokenId);
    t.clock.advance(1);
    await gone(t.auth.getUserToken(tokenId));
    await gone(t.auth.changePasswordWithToken({ tokenId, password: PASSWORD }));
    await assert.rejects(login(PASSWORD), AccessDeniedError);
  });

  it('lets exactly one of two racing completions win', async () => {
    await setup('off');
    const tokenId = (await invite()).metadata.name;
    const results = await Promise.allSettled([
      t.auth.changePasswordWithToken({ tokenId, password: 'first password 123' }),
      t.auth.changePasswordWithToken({ tokenId, password: 'second password 456' }),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(lost?.reason instanceof NotFoundError);
  });
});

describe('reset', () => {
  it('removes the password and MFA devices at once, and completing it unlocks the user', async () => {
    await setup('otp');
    await t.services.users.setPasswordHash('alice', await hashPassword(PASSWORD));
    const oldSecret = newTOTPSecret();
    await t.services.users.addTOTPDevice('alice', { id: crypto.randomUUID(), name: 'phone', secret: oldSecret, addedAt: t.clock.now() });
    for (let i = 0; i < 5; i++) await login('wrong password!!').catch(() => undefined);
    assert.equal((await t.services.users.getUser('alice')).spec.status?.is_locked, true);

    const tokenId = (await t.auth.createUserToken({ user: 'alice', kind: 'reset' })).metadata.name;
    await assert.rejects(t.services.users.getPasswordHash('alice'), NotFoundError);
    assert.deepEqual(await t.services.users.listMFADevices('alice'), []);

    const { otpSecret } = await t.auth.getUserToken(tokenId);
    assert.ok(otpSecret && otpSecret !== oldSecret);
    await t.auth.changePasswordWithToken({ tokenId, password: 'a brand new password', otpCode: generateTOTP(otpSecret, t.clock.nowMs()) });
    const status = (await t.services.users.getUser('alice')).spec.status;
    assert.notEqual(status?.is_locked, true, 'unlocked');
    t.clock.advance(30_000);
    await login('a brand new password', generateTOTP(otpSecret, t.clock.nowMs()));
  });
});
