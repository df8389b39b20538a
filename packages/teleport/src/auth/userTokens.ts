/**
 * @module auth/userTokens
 * Invite and password-reset tokens: an admin creates one (tctl users add / reset), the user opens
 * the URL on the proxy, sets a password and enrolls TOTP. A token completes exactly once: it is
 * consumed atomically, so a replayed request fails.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AccessDeniedError, BadParameterError, NotFoundError, isAlreadyExists, isNotFound } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';
import { UserTokenTTL, type UserToken } from '@teleport-ts/api/types/userToken';
import type { LocalServices } from '../services/local/index.ts';
import type { AuditLog } from '../events/auditLog.ts';
import { checkPasswordStrength, hashPassword } from './password.ts';
import { TOTP_REPLAY_WINDOW_MS, newTOTPSecret, totpURI, validateTOTP } from './totp.ts';
import { resetPasswordTokenCreateEvent, userPasswordChangeEvent } from '../events/newEvent.ts';
import { formatDuration } from '@teleport-ts/api/duration';

/** Dependencies of the token flows. */
export interface UserTokenDeps {
  services: LocalServices;
  audit: AuditLog;
  clock: Clock;
  clusterName: string;
  /** Public address of a proxy (host:port) for the URL users open. */
  proxyPublicAddr: () => string;
}

/** True when the cluster's settings make OTP enrollment mandatory. */
async function otpRequired(services: LocalServices): Promise<boolean> {
  const sf = (await services.clusterConfig.getAuthPreference()).spec.second_factor;
  if (sf === 'webauthn') {
    throw new BadParameterError('second_factor "webauthn" is not supported yet: use "otp" in cluster_auth_preference');
  }
  return sf === 'otp' || sf === 'on';
}

/** Creates an invite (kind "invite") or reset (kind "reset") token for an existing user. */
export async function createUserToken(
  deps: UserTokenDeps,
  req: { user: string; kind: 'invite' | 'reset'; ttlMs?: number; createdBy?: string },
): Promise<UserToken> {
  const { services, clock } = deps;
  const max = req.kind === 'invite' ? UserTokenTTL.inviteMaxMs : UserTokenTTL.resetMaxMs;
  const def = req.kind === 'invite' ? UserTokenTTL.inviteDefaultMs : UserTokenTTL.resetDefaultMs;
  const ttl = req.ttlMs && req.ttlMs > 0 ? req.ttlMs : def;
  if (ttl > max) throw new BadParameterError(`${req.kind} token TTL cannot exceed ${max / 3600_000}h`);
  await services.users.getUser(req.user); // NotFound names the user
  if (req.kind === 'reset') {
    // A reset starts from nothing: the old password and second factors stop working now.
    await services.users.deletePasswordHash(req.user);
    for (const d of await services.users.listMFADevices(req.user)) await services.users.deleteMFADevice(req.user, d.id);
  }
  await services.userTokens.deleteUserTokensFor(req.user);
  const id = randomBytes(16).toString('hex');
  const now = clock.nowMs();
  const token: UserToken = {
    kind: 'user_token',
    sub_kind: req.kind,
    version: 'v3',
    metadata: { name: id, expires: new Date(now + ttl).toISOString() },
    spec: {
      user: req.user,
      url: `https://${deps.proxyPublicAddr()}/web/${req.kind === 'invite' ? 'invite' : 'reset'}/${id}`,
      created: new Date(now).toISOString(),
    },
  };
  await services.userTokens.createUserToken(token);
  if (await otpRequired(services)) await services.userTokens.setUserTokenSecrets(id, { otpKey: newTOTPSecret() });
  await deps.audit.emit(resetPasswordTokenCreateEvent({
    user: req.createdBy ?? 'system', name: req.user, ttl: formatDuration(ttl), expires: new Date(now + ttl),
  }));
  return token;
}

/** Reads a live token and the OTP secret to enroll, if one is required. */
export async function getUserToken(
  deps: UserTokenDeps,
  tokenId: string,
): Promise<{ token: UserToken; otpRequired: boolean; otpSecret?: string; otpURI?: string }> {
  const token = await liveToken(deps, tokenId);
  if (!(await otpRequired(deps.services))) return { token, otpRequired: false };
  const { otpKey } = await deps.services.userTokens.getUserTokenSecrets(tokenId);
  return {
    token,
    otpRequired: true,
    otpSecret: otpKey,
    otpURI: totpURI({ secret: otpKey, account: token.spec.user, issuer: deps.clusterName }),
  };
}

/** Completes an invite or reset: checks everything first, then consumes the token, then writes. */
export async function changePasswordWithToken(
  deps: UserTokenDeps,
  req: { tokenId: string; password: string; otpCode?: string; remoteAddr?: string },
): Promise<string> {
  const { services, clock } = deps;
  const token = await liveToken(deps, req.tokenId);
  checkPasswordStrength(req.password);
  let otpKey: string | undefined;
  const otpCode = (req.otpCode ?? '').trim();
  if (await otpRequired(services)) {
    otpKey = (await services.userTokens.getUserTokenSecrets(req.tokenId)).otpKey;
    if (!otpCode) throw new BadParameterError('this cluster requires a second factor: enter the 6-digit code from your authenticator app');
    if (!validateTOTP(otpKey, otpCode, clock.nowMs())) {
      throw new AccessDeniedError('invalid OTP code: check your authenticator app\'s clock and enter the current code');
    }
  }
  const hash = await hashPassword(req.password);
  await services.userTokens.consumeUserToken(req.tokenId); // exactly one completion wins
  const user = token.spec.user;
  await services.users.setPasswordHash(user, hash);
  if (otpKey) {
    await services.users.addTOTPDevice(user, { id: randomUUID(), name: 'otp', secret: otpKey, addedAt: clock.now() });
    // The enrollment code is spent like a login code, so whoever saw it cannot log in with it too.
    await services.users.markTOTPCodeUsed(user, otpCode, clock.nowMs() + TOTP_REPLAY_WINDOW_MS).catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err; // already spent: exactly what we wanted
    });
  }
  const record = await services.users.getUser(user);
  if (record.spec.status?.is_locked) {
    record.spec.status = {};
    await services.users.upsertUser(record);
  }
  await services.users.deleteLoginAttempts(user);
  await deps.audit.emit(userPasswordChangeEvent({ user, ...(req.remoteAddr && { remoteAddr: req.remoteAddr }) }));
  return user;
}

async function liveToken(deps: UserTokenDeps, tokenId: string): Promise<UserToken> {
  const gone = new NotFoundError('invite or reset token not found: it has expired or was already used; ask an administrator for a new one');
  if (!/^[0-9a-f]{32}$/.test(tokenId)) throw gone;
  try {
    const token = await deps.services.userTokens.getUserToken(tokenId);
    const exp = token.metadata.expires;
    if (exp && Date.parse(exp) <= deps.clock.nowMs()) throw gone;
    return token;
  } catch (err) {
    if (isNotFound(err)) throw gone;
    throw err;
  }
}
