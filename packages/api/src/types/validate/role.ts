/**
 * @module types/validate/role
 * Validation of role resources (versions v5, v6 and v7; v7 when absent). Defaults are filled the way
 * upstream fills them, so `tctl get role/x` shows the effective options.
 */
import type { Role, RoleSpec } from '../role.ts';
import type { SourceDocument } from '../../yamlSource.ts';
import { type Ctx, type Obj, checkKeys, readMap } from './common.ts';
import { readEnvelope } from './metadata.ts';
import { readConditions } from './roleConditions.ts';
import { readRoleOptions } from './roleOptions.ts';

/** Role versions we accept; the first is the default. */
export const RoleVersions = ['v7', 'v6', 'v5'] as const;

/** Validates a role document (kind already known to be "role") and fills defaults. */
export function validateRole(ctx: Ctx, value: Obj): Role {
  const env = readEnvelope(ctx, value, { kind: 'role', versions: RoleVersions });
  const spec = readMap(ctx, env.spec, ['spec'], true);
  checkKeys(ctx, spec, ['spec'], ['options', 'allow', 'deny']);
  return {
    kind: 'role',
    version: env.version,
    metadata: env.metadata,
    spec: {
      options: readRoleOptions(ctx, spec.options),
      allow: readConditions(ctx, spec.allow, 'allow'),
      deny: readConditions(ctx, spec.deny, 'deny'),
    },
  };
}

/** Builds a validated v7 role; throws BadParameterError when the spec is invalid. */
export function newRole(name: string, spec: RoleSpec = {}, doc?: SourceDocument): Role {
  return validateRole({ doc }, { kind: 'role', version: 'v7', metadata: { name }, spec: spec as unknown as Obj });
}
