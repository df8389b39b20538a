/**
 * @module config/fileConfigTypes
 * The teleport.yaml (version v3) schema as TypeScript types. Keys are spelled exactly as in the YAML
 * file; values are already checked and lightly normalised by `parseFileConfig`:
 * - `enabled` flags are booleans (the file may say yes/no/true/false/on/off),
 * - addresses are "host:port" strings with the listener's default port filled in,
 * - durations are milliseconds,
 * - keys that accept "a string or a list" (`ca_pin`, `public_addr`) are always lists.
 * A key that is absent in the file is absent here; defaults are applied in `serviceConfig.ts`.
 */

/** Logging severities accepted in `teleport.log.severity` (case-insensitive in the file). */
export type LogSeverity = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Storage backends accepted in `teleport.storage.type` ("dir" is upstream's alias of sqlite). */
export type StorageType = 'sqlite' | 'memory' | 'postgresql';

/** `auth_service.authentication.type`. */
export type AuthType = 'local' | 'github' | 'oidc' | 'saml';

/** `auth_service.authentication.second_factor`. */
export type SecondFactor = 'off' | 'otp' | 'webauthn' | 'on' | 'optional';

/** `auth_service.session_recording`. */
export type SessionRecordingMode = 'node' | 'proxy' | 'node-sync' | 'proxy-sync' | 'off';

/** `auth_service.proxy_listener_mode`: separate ports, or everything through the web port by ALPN. */
export type ProxyListenerMode = 'separate' | 'multiplex';

/**
 * `auth_service.signature_algorithm_suite`: balanced-v1 uses Ed25519 for SSH and ECDSA P-256 for X.509;
 * legacy uses RSA-2048 everywhere.
 */
export type SignatureAlgorithmSuite = 'balanced-v1' | 'legacy';

/** `join_params`. */
export interface JoinParams {
  token_name: string;
  method: 'token';
}

/** `teleport.log`. */
export interface LogFileConfig {
  /** stderr, stdout, or a file path. */
  output?: string | undefined;
  severity?: LogSeverity | undefined;
  format?: { output?: 'text' | 'json' | undefined; extra_fields?: string[] | undefined } | undefined;
}

/** `teleport.storage`. */
export interface StorageFileConfig {
  type?: StorageType | undefined;
  /** Directory or file of the sqlite backend. */
  path?: string | undefined;
  /** PostgreSQL connection string (the postgresql backend is not implemented yet). */
  conn_string?: string | undefined;
}

/** The `teleport:` section, shared by every service. */
export interface TeleportSection {
  nodename?: string | undefined;
  data_dir?: string | undefined;
  join_params?: JoinParams | undefined;
  /** A join token, or the path of a file holding one. */
  auth_token?: string | undefined;
  auth_server?: string | undefined;
  proxy_server?: string | undefined;
  ca_pin?: string[] | undefined;
  log?: LogFileConfig | undefined;
  storage?: StorageFileConfig | undefined;
  diag_addr?: string | undefined;
}

/** `auth_service.authentication.webauthn`. */
export interface WebauthnFileConfig {
  rp_id?: string | undefined;
  attestation_allowed_cas?: string[] | undefined;
  attestation_denied_cas?: string[] | undefined;
}

/** `auth_service.authentication`. */
export interface AuthenticationFileConfig {
  type?: AuthType | undefined;
  second_factor?: SecondFactor | undefined;
  webauthn?: WebauthnFileConfig | undefined;
  connector_name?: string | undefined;
  local_auth?: boolean | undefined;
}

/** `auth_service`. */
export interface AuthFileConfig {
  enabled?: boolean | undefined;
  listen_addr?: string | undefined;
  public_addr?: string[] | undefined;
  cluster_name?: string | undefined;
  authentication?: AuthenticationFileConfig | undefined;
  session_recording?: SessionRecordingMode | undefined;
  proxy_listener_mode?: ProxyListenerMode | undefined;
  signature_algorithm_suite?: SignatureAlgorithmSuite | undefined;
  /** Milliseconds. */
  client_idle_timeout?: number | undefined;
  disconnect_expired_cert?: boolean | undefined;
}

/** One `proxy_service.https_keypairs` entry. */
export interface KeyPairFileConfig {
  key_file: string;
  cert_file: string;
}

/** `proxy_service`. */
export interface ProxyFileConfig {
  enabled?: boolean | undefined;
  web_listen_addr?: string | undefined;
  listen_addr?: string | undefined;
  tunnel_listen_addr?: string | undefined;
  public_addr?: string[] | undefined;
  ssh_public_addr?: string[] | undefined;
  tunnel_public_addr?: string[] | undefined;
  https_keypairs?: KeyPairFileConfig[] | undefined;
  postgres_listen_addr?: string | undefined;
  mysql_listen_addr?: string | undefined;
  kube_listen_addr?: string | undefined;
}

/** One `ssh_service.commands` entry (a dynamic label). */
export interface CommandLabelFileConfig {
  name: string;
  command: string[];
  /** Milliseconds. */
  period?: number | undefined;
}

/** `ssh_service`. */
export interface SSHFileConfig {
  enabled?: boolean | undefined;
  listen_addr?: string | undefined;
  public_addr?: string[] | undefined;
  labels?: Record<string, string> | undefined;
  commands?: CommandLabelFileConfig[] | undefined;
}

/** One `db_service.databases` entry. */
export interface DatabaseFileConfig {
  name: string;
  description?: string | undefined;
  protocol: 'postgres' | 'mysql';
  /** "host:port" of the database. */
  uri: string;
  static_labels?: Record<string, string> | undefined;
  tls?: { mode?: 'verify-full' | 'verify-ca' | 'insecure' | undefined; ca_cert_file?: string | undefined; server_name?: string | undefined } | undefined;
  /**
   * Beyond upstream: an absolute path to a file holding the password the database service uses for
   * this database instead of a client certificate (must not be readable by group or others).
   */
  password_file?: string | undefined;
  /** Beyond upstream: the name of an environment variable holding that password. */
  password_env?: string | undefined;
}

/** `db_service`. */
export interface DatabasesFileConfig {
  enabled?: boolean | undefined;
  databases?: DatabaseFileConfig[] | undefined;
  /** Dynamic `db` resources to serve, by labels (each entry's labels are AND-ed; entries are OR-ed). */
  resources?: Array<{ labels: Record<string, string> }> | undefined;
}

/** One `app_service.apps` entry. */
export interface AppFileConfig {
  name: string;
  description?: string | undefined;
  /** URL of the application, e.g. http://localhost:8080. */
  uri: string;
  public_addr?: string | undefined;
  labels?: Record<string, string> | undefined;
  insecure_skip_verify?: boolean | undefined;
  rewrite?: { redirect?: string[] | undefined; headers?: string[] | undefined } | undefined;
}

/** `app_service`. */
export interface AppsFileConfig {
  enabled?: boolean | undefined;
  apps?: AppFileConfig[] | undefined;
}

/** `kubernetes_service`. */
export interface KubeFileConfig {
  enabled?: boolean | undefined;
  listen_addr?: string | undefined;
  kubeconfig_file?: string | undefined;
  kube_cluster_name?: string | undefined;
  labels?: Record<string, string> | undefined;
}

/** A whole teleport.yaml. */
export interface FileConfig {
  version: 'v3';
  teleport?: TeleportSection | undefined;
  auth_service?: AuthFileConfig | undefined;
  proxy_service?: ProxyFileConfig | undefined;
  ssh_service?: SSHFileConfig | undefined;
  db_service?: DatabasesFileConfig | undefined;
  app_service?: AppsFileConfig | undefined;
  kubernetes_service?: KubeFileConfig | undefined;
}
