/**
 * @module types/user
 * The local user resource (kind: user, version: v2). Password hashes and MFA secrets are not part of
 * it: they live in separate backend records and never leave the auth service.
 */
import type { Resource } from './resource.ts';

/** Traits: named lists of values used by role templates ({{internal.logins}} reads traits.logins). */
export type Traits = Record<string, string[]>;

/** Lock state after repeated failed logins. */
export interface UserStatus {
  is_locked?: boolean;
  locked_message?: string;
  /** RFC 3339. */
  locked_time?: string;
  /** RFC 3339; the lock ends at this time. */
  lock_expires?: string;
}

/** Who created a user and when. */
export interface CreatedBy {
  time?: string;
  user?: { name: string };
}

/** User spec. */
export interface UserSpec {
  roles: string[];
  traits?: Traits;
  status?: UserStatus;
  created_by?: CreatedBy;
}

/** A local or SSO user. */
export type User = Resource<'user', UserSpec>;

/** Well-known trait names that map to `internal.*` template variables. */
export const TraitNames = {
  logins: 'logins',
  windowsLogins: 'windows_logins',
  kubeUsers: 'kubernetes_users',
  kubeGroups: 'kubernetes_groups',
  dbUsers: 'db_users',
  dbNames: 'db_names',
  dbRoles: 'db_roles',
  awsRoleARNs: 'aws_role_arns',
} as const;
