/**
 * @module types/validate/token
 * Validation of provision (join) tokens (v2): roles must be known system roles; bot tokens need a
 * bot_name. The token value is metadata.name.
 */
import { SystemRoles, type ProvisionToken, type SystemRole } from '../token.ts';
import {
  type Ctx, type Obj, checkKeys, compact, fail, optCount, optString, optStringList, optStringMap, readMap,
} from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Join methods we implement. */
export const JoinMethods = ['token'] as const;

/** Validates a token document (kind already known to be "token"). */
export function validateToken(ctx: Ctx, value: Obj): ProvisionToken {
  const env = readEnvelope(ctx, value, { kind: 'token', versions: ['v2'] });
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path);
  checkKeys(ctx, spec, path, ['roles', 'join_method', 'bot_name', 'max_uses', 'uses', 'suggested_labels']);
  // Upstream accepts any case ("node", "Node"); store the canonical spelling.
  const roles = optStringList(ctx, spec.roles, [...path, 'roles'], (r) =>
    SystemRoles.some((s) => s.toLowerCase() === r.toLowerCase())
      ? undefined
      : `unknown system role "${r}"; use one of ${SystemRoles.join(', ')}`,
  )?.map((r) => SystemRoles.find((s) => s.toLowerCase() === r.toLowerCase()) as SystemRole);
  if (!roles?.length) fail(ctx, [...path, 'roles'], `list at least one system role (${SystemRoles.join(', ')})`);
  const joinMethod = optString(ctx, spec.join_method, [...path, 'join_method']);
  if (joinMethod && !(JoinMethods as readonly string[]).includes(joinMethod)) {
    fail(ctx, [...path, 'join_method'], `unsupported join method "${joinMethod}"; supported: ${JoinMethods.join(', ')}`);
  }
  const botName = optString(ctx, spec.bot_name, [...path, 'bot_name']);
  if (roles.includes('Bot') && !botName) fail(ctx, [...path, 'bot_name'], 'required when roles include Bot');
  if (botName && !roles.includes('Bot')) fail(ctx, [...path, 'bot_name'], 'only allowed when roles include Bot');
  return {
    kind: 'token',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      roles: [...new Set(roles)],
      join_method: joinMethod ?? 'token',
      bot_name: botName,
      max_uses: optCount(ctx, spec.max_uses, [...path, 'max_uses']),
      uses: optCount(ctx, spec.uses, [...path, 'uses']),
      suggested_labels: optStringMap(ctx, spec.suggested_labels, [...path, 'suggested_labels']),
    }),
  };
}

/** Builds a validated token; `expires` is an RFC 3339 time. */
export function newProvisionToken(name: string, roles: SystemRole[], expires?: string): ProvisionToken {
  return validateToken({}, { kind: 'token', version: 'v2', metadata: compact({ name, expires }), spec: { roles } });
}
