/**
 * @module types/role
 * The role resource (kind: role, version: v7): allow/deny conditions and options. Matching and
 * merging live in the server's RBAC engine (packages/teleport/src/services/rbac).
 */
import type { Resource } from './resource.ts';

/** Label selector: label name -> one value or a list (OR-ed). Values may be globs or ^regex$. */
export type Labels = Record<string, string | string[]>;

/** Verbs in rules. */
export const Verbs = {
  list: 'list',
  read: 'read',
  readNoSecrets: 'readnosecrets',
  create: 'create',
  update: 'update',
  delete: 'delete',
  use: 'use',
  all: '*',
} as const;

/** A permission rule: verbs on resource kinds. */
export interface Rule {
  resources: string[];
  verbs: string[];
  where?: string;
}

/** Kubernetes resource selector. */
export interface KubernetesResource {
  kind: string;
  namespace?: string;
  name?: string;
  verbs?: string[];
}

/** Which roles a user may request. */
export interface AccessRequestConditions {
  roles?: string[];
  thresholds?: Array<{ approve?: number; deny?: number; name?: string }>;
}

/** Allow or deny block. */
export interface RoleConditions {
  logins?: string[];
  node_labels?: Labels;
  db_labels?: Labels;
  db_names?: string[];
  db_users?: string[];
  db_roles?: string[];
  app_labels?: Labels;
  kubernetes_labels?: Labels;
  kubernetes_groups?: string[];
  kubernetes_users?: string[];
  kubernetes_resources?: KubernetesResource[];
  windows_desktop_labels?: Labels;
  windows_desktop_logins?: string[];
  request?: AccessRequestConditions;
  review_requests?: { roles?: string[] };
  impersonate?: { users?: string[]; roles?: string[] };
  rules?: Rule[];
}

/** Session recording option. */
export interface RecordSession {
  default?: string;
  ssh?: string;
  desktop?: boolean;
}

/** Role options. Durations are Go-style strings ("30h"). */
export interface RoleOptions {
  max_session_ttl?: string;
  forward_agent?: boolean;
  port_forwarding?: boolean;
  ssh_port_forwarding?: { local?: { enabled?: boolean }; remote?: { enabled?: boolean } };
  ssh_file_copy?: boolean;
  client_idle_timeout?: string;
  disconnect_expired_cert?: boolean;
  require_session_mfa?: boolean;
  record_session?: RecordSession;
  max_sessions?: number;
  max_connections?: number;
  lock?: string;
  create_host_user_mode?: string;
  create_db_user_mode?: string;
  cert_format?: string;
  permit_x11_forwarding?: boolean;
}

/** Role spec. */
export interface RoleSpec {
  options?: RoleOptions;
  allow?: RoleConditions;
  deny?: RoleConditions;
}

/** A role. */
export type Role = Resource<'role', RoleSpec>;

/** Default max_session_ttl when a role does not set one (30h). */
export const DEFAULT_MAX_SESSION_TTL_MS = 30 * 3600 * 1000;
