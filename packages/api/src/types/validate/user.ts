/**
 * @module types/validate/user
 * Validation of user resources (v2): roles are non-empty strings, traits map names to string lists.
 */
import type { Traits, User, UserSpec } from '../user.ts';
import type { FieldPath } from '../../yamlSource.ts';
import {
  type Ctx, type Obj, checkKeys, compact, fail, optBool, optString, optStringList, optTime, optTraits, readMap,
} from './common.ts';
import { readEnvelope } from './metadata.ts';

function readStatus(ctx: Ctx, v: unknown, path: FieldPath): UserSpec['status'] {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['is_locked', 'locked_message', 'locked_time', 'lock_expires']);
  return compact({
    is_locked: optBool(ctx, m.is_locked, [...path, 'is_locked']),
    locked_message: optString(ctx, m.locked_message, [...path, 'locked_message']),
    locked_time: optTime(ctx, m.locked_time, [...path, 'locked_time']),
    lock_expires: optTime(ctx, m.lock_expires, [...path, 'lock_expires']),
  });
}

function readCreatedBy(ctx: Ctx, v: unknown, path: FieldPath): UserSpec['created_by'] {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['time', 'user']);
  let user: { name: string } | undefined;
  if (m.user !== undefined && m.user !== null) {
    const u = readMap(ctx, m.user, [...path, 'user']);
    checkKeys(ctx, u, [...path, 'user'], ['name']);
    user = { name: optString(ctx, u.name, [...path, 'user', 'name']) ?? '' };
  }
  return compact({ time: optTime(ctx, m.time, [...path, 'time']), user });
}

/** Validates a user document (kind already known to be "user"). */
export function validateUser(ctx: Ctx, value: Obj): User {
  const env = readEnvelope(ctx, value, { kind: 'user', versions: ['v2'] });
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path, true);
  checkKeys(ctx, spec, path, ['roles', 'traits', 'status', 'created_by']);
  const roles = optStringList(ctx, spec.roles, [...path, 'roles']) ?? [];
  if (new Set(roles).size !== roles.length) fail(ctx, [...path, 'roles'], 'lists a role more than once');
  return {
    kind: 'user',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      roles,
      traits: optTraits(ctx, spec.traits, [...path, 'traits']),
      status: readStatus(ctx, spec.status, [...path, 'status']),
      created_by: readCreatedBy(ctx, spec.created_by, [...path, 'created_by']),
    }),
  };
}

/** Builds a validated user. */
export function newUser(name: string, roles: string[], traits?: Traits): User {
  return validateUser({}, { kind: 'user', version: 'v2', metadata: { name }, spec: compact({ roles, traits }) });
}
