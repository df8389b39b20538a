/**
 * @module auth/login
 * Local password + second-factor authentication with lockout: 5 failed attempts within 30 minutes
 * lock the user for 30 minutes. Every attempt is audited (user.login T1000I/T1000W) before the
 * caller learns the result. Failure messages never reveal whether the user exists.
 */
import { randomBytes } from 'node:crypto';
import { AccessDeniedError, BadParameterError, isAlreadyExists, isNotFound } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';
import type { User } from '@teleport-ts/api/types/user';
import type { AuditEventInput } from '@teleport-ts/api/events/types';
import type { LocalServices } from '../services/local/index.ts';
import type { AuditLog } from '../events/auditLog.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { TOTP_REPLAY_WINDOW_MS, validateTOTP } from './totp.ts';
import { userLoginEvent } from '../events/newEvent.ts';

/** Failed attempts that trigger a lock. */
export const MAX_LOGIN_ATTEMPTS = 5;
/** How long a lock lasts, and the window in which failures are counted. */
export const ACCOUNT_LOCK_INTERVAL_MS = 30 * 60_000;

/** The generic failure message: the same whether the user, password or code was wrong. */
const INVALID_CREDENTIALS = 'invalid username, password or second factor';

/** A real argon2id hash of a random password, so unknown users cost the same time as known ones. */
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  return dummyHash;
}

/** Dependencies of the login check. */
export interface LoginDeps {
  services: LocalServices;
  audit: AuditLog;
  clock: Clock;
}

/** Credentials presented at login. */
export interface Credentials {
  user: string;
  password: string;
  otpCode?: string;
  remoteAddr?: string;
  /** A web UI login (CreateWebSession): the audit event carries `web: true`. */
  web?: boolean;
}

/** Checks credentials; returns the user on success, throws AccessDeniedError otherwise. */
export async function authenticateLocalUser(deps: LoginDeps, cred: Credentials): Promise<User> {
  const { services, clock } = deps;
  const loginEvent = (outcome: { success: boolean; error?: string }): AuditEventInput => userLoginEvent({
    user: cred.user, method: 'local', ...outcome, ...(cred.remoteAddr && { remoteAddr: cred.remoteAddr }), ...(cred.web && { web: true }),
  });
  const fail = async (error: string, userFacing = INVALID_CREDENTIALS): Promise<never> => {
    await deps.audit.emit(loginEvent({ success: false, error }));
    throw new AccessDeniedError(userFacing);
  };
  if (!cred.user) throw new BadParameterError('missing user name');

  let user: User | undefined;
  try {
    user = await services.users.getUser(cred.user);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!user) {
    await verifyPassword(await getDummyHash(), cred.password);
    return fail('unknown user');
  }
  const lockedUntil = lockExpiry(user, clock);
  if (lockedUntil) {
    return fail(
      'user is locked',
      `user '${cred.user}' is temporarily locked after too many failed login attempts; try again after ${lockedUntil} ` +
        `or ask an administrator to run 'tctl users reset ${cred.user}'`,
    );
  }

  let hash: string | undefined;
  try {
    hash = await services.users.getPasswordHash(cred.user);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const passwordOK = hash ? await verifyPassword(hash, cred.password) : (await verifyPassword(await getDummyHash(), cred.password), false);
  let secondFactorOK = true;
  let secondFactorError = '';
  if (passwordOK) {
    const pref = await services.clusterConfig.getAuthPreference();
    const devices = await services.users.listMFADevices(cred.user);
    const required = pref.spec.second_factor === 'otp' || pref.spec.second_factor === 'on' ||
      (pref.spec.second_factor === 'optional' && devices.length > 0);
    if (required) {
      secondFactorOK = false;
      const code = (cred.otpCode ?? '').trim();
      if (!code) secondFactorError = 'missing OTP code';
      else if (devices.length === 0) secondFactorError = 'no OTP device enrolled';
      else if (devices.some((d) => validateTOTP(d.secret, code, clock.nowMs()))) {
        try {
          // A code may be used once: an observer replaying it within its window is refused.
          await services.users.markTOTPCodeUsed(cred.user, code, clock.nowMs() + TOTP_REPLAY_WINDOW_MS);
          secondFactorOK = true;
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          secondFactorError = 'OTP code was already used';
        }
      } else secondFactorError = 'invalid OTP code';
    }
  }
  if (passwordOK && secondFactorOK) {
    await services.users.deleteLoginAttempts(cred.user);
    await deps.audit.emit(loginEvent({ success: true }));
    return user;
  }
  const reason = passwordOK ? secondFactorError : 'invalid password';
  await recordFailure(deps, user);
  return fail(reason);
}

/** Records a failed attempt and locks the user when the limit is reached. */
async function recordFailure(deps: LoginDeps, user: User): Promise<void> {
  const name = user.metadata.name;
  const now = deps.clock.nowMs();
  await deps.services.users.addLoginAttempt(name, { time: new Date(now), success: false }, ACCOUNT_LOCK_INTERVAL_MS);
  const recent = (await deps.services.users.listLoginAttempts(name)).filter(
    (a) => !a.success && now - new Date(a.time).getTime() < ACCOUNT_LOCK_INTERVAL_MS,
  );
  if (recent.length < MAX_LOGIN_ATTEMPTS) return;
  const fresh = await deps.services.users.getUser(name);
  const until = new Date(now + ACCOUNT_LOCK_INTERVAL_MS).toISOString();
  fresh.spec.status = {
    is_locked: true,
    locked_message: `user locked after ${MAX_LOGIN_ATTEMPTS} failed login attempts`,
    locked_time: new Date(now).toISOString(),
    lock_expires: until,
  };
  await deps.services.users.upsertUser(fresh);
  await deps.services.users.deleteLoginAttempts(name);
}

/** The RFC 3339 time a lock ends, or undefined if the user is not locked now. */
export function lockExpiry(user: User, clock: Clock): string | undefined {
  const s = user.spec.status;
  if (!s?.is_locked || !s.lock_expires) return undefined;
  return Date.parse(s.lock_expires) > clock.nowMs() ? s.lock_expires : undefined;
}
