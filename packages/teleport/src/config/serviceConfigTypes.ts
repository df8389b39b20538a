/**
 * @module config/serviceConfigTypes
 * The runtime configuration every service reads (`ServiceConfig`): the merge of built-in defaults,
 * teleport.yaml and command-line flags, with every default filled in. Addresses are "host:port"
 * strings, durations milliseconds, paths absolute (after `loadConfig`).
 */
import type {
  AuthType, LogSeverity, ProxyListenerMode, SecondFactor, SessionRecordingMode, SignatureAlgorithmSuite,
} from './fileConfigTypes.ts';

export type { AuthType, LogSeverity, ProxyListenerMode, SecondFactor, SessionRecordingMode, SignatureAlgorithmSuite };

/** Role names accepted by `teleport start --roles` ("node" is the SSH service). */
export type ServiceRole = 'auth' | 'proxy' | 'node' | 'db' | 'app' | 'kube';

/** Every role name, in start order. */
export const SERVICE_ROLES: readonly ServiceRole[] = ['auth', 'proxy', 'node', 'db', 'app', 'kube'];

/** Logging settings. */
export interface LogConfig {
  /** "stderr", "stdout" or a file path. */
  output: string;
  /** pino level name. */
  severity: LogSeverity;
  format: 'text' | 'json';
}

/** Cluster state storage. */
export interface StorageConfig {
  type: 'sqlite' | 'memory';
  /** SQLite database file; relative paths are resolved against the data dir by `loadConfig`. Unused for memory. */
  path: string;
}

/** Auth service settings. */
export interface AuthServiceConfig {
  enabled: boolean;
  listenAddr: string;
  /** Defaults to the node name, like upstream. */
  clusterName: string;
  publicAddrs: string[];
  authentication: {
    type: AuthType;
    secondFactor: SecondFactor;
    webauthn?: { rpId?: string; attestationAllowedCAs: string[]; attestationDeniedCAs: string[] };
    connectorName?: string;
    localAuth: boolean;
  };
  sessionRecording: SessionRecordingMode;
  proxyListenerMode: ProxyListenerMode;
  signatureAlgorithmSuite: SignatureAlgorithmSuite;
  clientIdleTimeoutMs: number;
  disconnectExpiredCert: boolean;
  /**
   * Cluster settings teleport.yaml sets explicitly. Only these are written to the cluster's
   * resources at start (like upstream), so a `tctl create -f` change to a setting the file leaves
   * alone survives restarts.
   */
  fileSettings: { authType?: AuthType; secondFactor?: SecondFactor; sessionRecording?: SessionRecordingMode };
}

/** A TLS key pair for the proxy's web listener. */
export interface HTTPSKeyPair {
  keyFile: string;
  certFile: string;
}

/** Proxy service settings. */
export interface ProxyServiceConfig {
  enabled: boolean;
  webListenAddr: string;
  sshListenAddr: string;
  tunnelListenAddr: string;
  /** Addresses users reach the web listener at; empty means "derive from the node name". */
  publicAddrs: string[];
  sshPublicAddrs: string[];
  tunnelPublicAddrs: string[];
  /** Empty: the proxy generates a self-signed certificate. */
  httpsKeyPairs: HTTPSKeyPair[];
  postgresListenAddr?: string;
  mysqlListenAddr?: string;
  kubeListenAddr?: string;
}

/** A dynamic label whose value is the output of a command, refreshed every `periodMs`. */
export interface CommandLabel {
  name: string;
  command: string[];
  periodMs: number;
}

/** SSH node service settings. */
export interface SSHServiceConfig {
  enabled: boolean;
  listenAddr: string;
  /**
   * True when teleport.yaml set `ssh_service.listen_addr`. A node that joined through a proxy is
   * reachable only over its reverse tunnel unless it was told to listen as well.
   */
  listenAddrExplicit?: boolean;
  publicAddrs: string[];
  labels: Record<string, string>;
  commands: CommandLabel[];
}

/** One database proxied by the database service. */
export interface DatabaseConfig {
  name: string;
  description: string;
  protocol: 'postgres' | 'mysql';
  /** "host:port". */
  uri: string;
  labels: Record<string, string>;
  tls: { mode: 'verify-full' | 'verify-ca' | 'insecure'; caCertFile?: string; serverName?: string };
  /** Beyond upstream: file holding the upstream password (read at start; never logged or sent to auth). */
  passwordFile?: string;
  /** Beyond upstream: environment variable holding the upstream password. */
  passwordEnv?: string;
}

/** Which dynamic `db` resources the database service serves: any entry whose labels all match. */
export interface DatabaseResourceSelector {
  labels: Record<string, string>;
}

/** One application proxied by the application service. */
export interface AppConfig {
  name: string;
  description: string;
  uri: string;
  publicAddr?: string;
  labels: Record<string, string>;
  insecureSkipVerify: boolean;
  rewrite: { redirect: string[]; headers: Array<{ name: string; value: string }> };
}

/** Kubernetes service settings. */
export interface KubeServiceConfig {
  enabled: boolean;
  listenAddr?: string;
  kubeconfigFile?: string;
  kubeClusterName?: string;
  labels: Record<string, string>;
}

/** The complete runtime configuration of one teleport process. */
export interface ServiceConfig {
  nodeName: string;
  dataDir: string;
  /** The teleport.yaml that was loaded, if any. */
  configPath?: string;
  /** Auth servers to join/connect to; filled with the local auth address when auth runs here. */
  authServers: string[];
  /** Join through this proxy instead of an auth server (agents only). */
  proxyServer?: string;
  /** Join token (after reading it from a file when the config named a path). */
  joinToken?: string;
  joinMethod: 'token';
  /** Pins ("sha256:<hex>") of the cluster CA that a joining agent must see. */
  caPins: string[];
  /** Skip TLS verification of the proxy (development only). */
  insecure: boolean;
  log: LogConfig;
  storage: StorageConfig;
  diagAddr?: string;
  auth: AuthServiceConfig;
  proxy: ProxyServiceConfig;
  ssh: SSHServiceConfig;
  db: { enabled: boolean; databases: DatabaseConfig[]; resources?: DatabaseResourceSelector[] };
  app: { enabled: boolean; apps: AppConfig[] };
  kube: KubeServiceConfig;
}
