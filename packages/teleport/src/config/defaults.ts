/**
 * @module config/defaults
 * The numbers and paths that a fresh install uses when nothing else is configured: listening ports,
 * file locations and lifetimes. They match upstream Teleport so that people (and firewall rules)
 * that know Teleport feel at home. Everything here is a constant; nothing reads the environment.
 */

/** Default TCP ports of every listener. */
export const Ports = {
  /** Proxy web/HTTPS listener (web UI, web API, TLS routing in multiplex mode). */
  web: 3080,
  /** Proxy SSH listener (tsh and OpenSSH clients). */
  sshProxy: 3023,
  /** Proxy reverse-tunnel listener (agents dial in). */
  tunnel: 3024,
  /** Auth service API (mutual TLS). */
  auth: 3025,
  /** SSH node service. */
  ssh: 3022,
  /** Proxy Kubernetes listener. */
  kube: 3026,
  /** Proxy MySQL listener. */
  mysql: 3036,
  /** Proxy PostgreSQL listener. */
  postgres: 5432,
  /** Diagnostics listener (/healthz, /readyz, /metrics). */
  diag: 3000,
} as const;

/** Host that listeners bind to when a config names only a port (all interfaces). */
export const DEFAULT_LISTEN_HOST = '0.0.0.0';

/** Where the daemon keeps its state (backend, keys, recordings). */
export const DEFAULT_DATA_DIR = '/var/lib/teleport';

/** Configuration file read by `teleport start` when -c is not given (only if it exists). */
export const DEFAULT_CONFIG_PATH = '/etc/teleport.yaml';

/** SQLite database location, relative to the data dir. */
export const SQLITE_RELATIVE_PATH = 'backend/sqlite.db';

/** Default web listen address of the proxy. */
export const DEFAULT_WEB_LISTEN_ADDR = `${DEFAULT_LISTEN_HOST}:${Ports.web}`;
/** Default SSH listen address of the proxy. */
export const DEFAULT_SSH_PROXY_LISTEN_ADDR = `${DEFAULT_LISTEN_HOST}:${Ports.sshProxy}`;
/** Default reverse-tunnel listen address of the proxy. */
export const DEFAULT_TUNNEL_LISTEN_ADDR = `${DEFAULT_LISTEN_HOST}:${Ports.tunnel}`;
/** Default listen address of the auth service. */
export const DEFAULT_AUTH_LISTEN_ADDR = `${DEFAULT_LISTEN_HOST}:${Ports.auth}`;
/** Default listen address of the SSH node service. */
export const DEFAULT_SSH_LISTEN_ADDR = `${DEFAULT_LISTEN_HOST}:${Ports.ssh}`;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** User certificate TTL when none is requested (`tsh login` without --ttl). */
export const CERT_TTL_MS = 12 * HOUR;
/** Role option `max_session_ttl` when a role does not set it. */
export const MAX_SESSION_TTL_MS = 30 * HOUR;
/** Shortest certificate TTL anyone may request. */
export const MIN_CERT_TTL_MS = MINUTE;
/** Certificates are back-dated by this much to tolerate clock skew. */
export const CERT_BACKDATE_MS = MINUTE;
/** Host certificates live until the CA rotates; ten years stands in for "forever". */
export const HOST_CERT_TTL_MS = 10 * 365 * 24 * HOUR;

/** Lifetime of an invite (signup) token, and its maximum. */
export const SIGNUP_TOKEN_TTL_MS = HOUR;
/** Longest allowed invite token. */
export const MAX_SIGNUP_TOKEN_TTL_MS = 48 * HOUR;
/** Lifetime of a password reset token, and its maximum. */
export const RESET_TOKEN_TTL_MS = 8 * HOUR;
/** Longest allowed password reset token. */
export const MAX_RESET_TOKEN_TTL_MS = 24 * HOUR;
/** Lifetime of a provision (join) token created by `tctl tokens add` without --ttl. */
export const PROVISION_TOKEN_TTL_MS = 30 * MINUTE;

/** Failed logins after which the user is locked. */
export const MAX_LOGIN_ATTEMPTS = 5;
/** How long a user stays locked after too many failed logins. */
export const ACCOUNT_LOCK_MS = 30 * MINUTE;
/** Shortest acceptable local password. */
export const MIN_PASSWORD_LENGTH = 12;

/** How often servers announce themselves to the auth service. */
export const SERVER_ANNOUNCE_INTERVAL_MS = MINUTE;
/** How long a server announcement stays visible without renewal. */
export const SERVER_PRESENCE_TTL_MS = 10 * MINUTE;

/** Client connections idle this long are closed (role option `client_idle_timeout`). */
export const CLIENT_IDLE_TIMEOUT_MS = 15 * MINUTE;
/** Maximum concurrent connections per service. */
export const CONNECTION_LIMIT = 15_000;

/** Grace period of a CA rotation when none is given. */
export const CA_ROTATION_GRACE_PERIOD_MS = 30 * HOUR;

/** How often a command label (`ssh_service.commands`) re-runs when `period` is not set. */
export const COMMAND_LABEL_PERIOD_MS = HOUR;

/** How long a graceful shutdown may drain connections before services are closed forcibly. */
export const GRACEFUL_SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long a forced close may take before the supervisor stops waiting for it. */
export const FORCE_SHUTDOWN_TIMEOUT_MS = 5_000;
