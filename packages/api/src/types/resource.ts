/**
 * @module types/resource
 * The envelope every Teleport resource shares: kind, version, metadata, spec. Field names are the
 * snake_case names of upstream's YAML so `tctl get` output looks the same.
 */

/** Resource metadata. */
export interface Metadata {
  /** Unique name within the kind. */
  name: string;
  /** Free-form description. */
  description?: string;
  /** Static labels used for RBAC matching and filtering. */
  labels?: Record<string, string>;
  /** RFC 3339 time after which the resource is deleted automatically. */
  expires?: string;
  /** Backend revision, filled in on reads; used for optimistic concurrency. */
  revision?: string;
}

/** Any resource. */
export interface Resource<K extends string = string, S = unknown> {
  kind: K;
  /** Sub-kind where a kind has variants (e.g. user_token "invite" or "reset"). */
  sub_kind?: string;
  version: string;
  metadata: Metadata;
  spec: S;
}

/** Resource kind names (the `kind:` field), as upstream spells them. */
export const Kinds = {
  user: 'user',
  role: 'role',
  token: 'token',
  certAuthority: 'cert_authority',
  clusterName: 'cluster_name',
  clusterAuthPreference: 'cluster_auth_preference',
  sessionRecordingConfig: 'session_recording_config',
  userToken: 'user_token',
  node: 'node',
  proxy: 'proxy',
  db: 'db',
  dbServer: 'db_server',
  event: 'event',
  session: 'session',
} as const;

/** Singleton resources have one fixed name. */
export const SingletonNames = {
  clusterAuthPreference: 'cluster-auth-preference',
  sessionRecordingConfig: 'session-recording-config',
  clusterName: 'cluster-name',
} as const;
