/**
 * @module types/validate/userToken
 * Validation of invite / password-reset tokens (kind user_token, sub_kind invite | reset).
 */
import type { UserToken } from '../userToken.ts';
import { type Ctx, type Obj, checkKeys, fail, optString, optTime, readMap, readString } from './common.ts';
import { readEnvelope } from './metadata.ts';

/** user_token sub kinds. */
export const UserTokenKinds = ['invite', 'reset'] as const;

/** Validates a user_token document (kind already known). */
export function validateUserToken(ctx: Ctx, value: Obj): UserToken {
  const env = readEnvelope(ctx, value, { kind: 'user_token', versions: ['v2'], subKinds: UserTokenKinds });
  if (!env.sub_kind) fail(ctx, ['sub_kind'], `required; one of ${UserTokenKinds.join(', ')}`);
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path);
  checkKeys(ctx, spec, path, ['user', 'url', 'created']);
  const created = optTime(ctx, spec.created, [...path, 'created']);
  if (!created) fail(ctx, [...path, 'created'], 'required field is missing');
  return {
    kind: 'user_token',
    sub_kind: env.sub_kind,
    version: env.version,
    metadata: env.metadata,
    spec: {
      user: readString(ctx, spec.user, [...path, 'user']),
      url: optString(ctx, spec.url, [...path, 'url']) ?? '',
      created,
    },
  };
}
