/**
 * @module types/validation
 * `validateResource` checks any resource document (from YAML, JSON or an API call) and returns a
 * copy with defaults filled. Errors are BadParameterErrors that name file, line and field when a
 * SourceDocument is given: "role.yaml:7: spec.allow.logins: expected a list of strings, got a number".
 */
import type { Resource } from './resource.ts';
import type { SourceDocument } from '../yamlSource.ts';
import { type Ctx, type Obj, fail, isObj, typeName } from './validate/common.ts';
import { validateRole } from './validate/role.ts';
import { validateUser } from './validate/user.ts';
import { validateToken } from './validate/token.ts';
import { validateCertAuthority } from './validate/certAuthority.ts';
import { validateClusterName } from './validate/clusterName.ts';
import { validateAuthPreference } from './validate/authPreference.ts';
import { validateSessionRecordingConfig } from './validate/sessionRecordingConfig.ts';
import { validateUserToken } from './validate/userToken.ts';
import { validateServer, validateSessionTracker } from './validate/server.ts';
import { validateProxy } from './validate/proxy.ts';
import { validateDatabase, validateDatabaseServer } from './validate/database.ts';

export { newRole, RoleVersions } from './validate/role.ts';
export { newUser } from './validate/user.ts';
export { newProvisionToken, JoinMethods } from './validate/token.ts';
export { newClusterName } from './validate/clusterName.ts';
export { newAuthPreference, AuthTypes, SignatureAlgorithmSuites } from './validate/authPreference.ts';
export { newSessionRecordingConfig } from './validate/sessionRecordingConfig.ts';
export { UserTokenKinds } from './validate/userToken.ts';
export { KnownVerbs, LabelSelectorFields, TemplatedListFields } from './validate/roleConditions.ts';
export { MIN_SESSION_TTL_MS, RecordSessionModes, LockingModes } from './validate/roleOptions.ts';

/** A validator for one kind: checks the whole document and returns the canonical resource. */
export type KindValidator = (ctx: Ctx, value: Obj) => Resource;

/** Validators by kind name; the kinds `tctl create` accepts. */
export const ResourceValidators: Readonly<Record<string, KindValidator>> = {
  role: validateRole,
  user: validateUser,
  token: validateToken,
  cert_authority: validateCertAuthority,
  cluster_name: validateClusterName,
  cluster_auth_preference: validateAuthPreference,
  session_recording_config: validateSessionRecordingConfig,
  user_token: validateUserToken,
  node: validateServer,
  session_tracker: validateSessionTracker,
  proxy: validateProxy,
  db: validateDatabase,
  db_server: validateDatabaseServer,
};

/** Validates one resource document and fills defaults; throws BadParameterError on the first problem. */
export function validateResource(value: unknown, doc?: SourceDocument): Resource {
  const ctx: Ctx = { doc };
  if (!isObj(value)) fail(ctx, [], `expected a resource (a map with kind, version, metadata and spec), got ${typeName(value)}`);
  if (value.kind === undefined || value.kind === null) fail(ctx, [], 'kind is required (e.g. kind: role)');
  if (typeof value.kind !== 'string') fail(ctx, ['kind'], `expected a string, got ${typeName(value.kind)}`);
  const validator = Object.hasOwn(ResourceValidators, value.kind) ? ResourceValidators[value.kind] : undefined;
  if (!validator) {
    fail(ctx, ['kind'], `unsupported kind "${value.kind}"; supported kinds: ${Object.keys(ResourceValidators).join(', ')}`);
  }
  return validator(ctx, value);
}
