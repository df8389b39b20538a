/**
 * @module srv/db/mysql/greeting
 * What this proxy says about itself as a MySQL server: the capabilities it advertises and the initial
 * handshake it sends (by the proxy on the dedicated MySQL listener, with CLIENT_SSL; by the engine
 * when the client arrived already inside TLS, without).
 *
 * The advertised set is what both MySQL 8 and MariaDB 10.2+ servers support and what the relay can
 * follow: no compression, no LOCAL INFILE, no CLIENT_DEPRECATE_EOF / CLIENT_SESSION_TRACK /
 * CLIENT_QUERY_ATTRIBUTES / optional metadata, and CLIENT_MYSQL set so MariaDB clients do not switch
 * to MariaDB-only extensions (progress packets, bulk execute, metadata cache).
 */
import { randomInt } from 'node:crypto';
import { Capability, CHARSET_UTF8MB4_GENERAL_CI, encodeInitialHandshake, ServerStatus } from './handshake.ts';

/** The server version the proxy announces (upstream Teleport's). */
export const DEFAULT_SERVER_VERSION = '8.0.0-Teleport';

/** Default auth plugin in the greeting. */
export const DEFAULT_AUTH_PLUGIN = 'mysql_native_password';

/** Capabilities the proxy advertises to clients (and the most it requests upstream, plus CLIENT_SSL). */
export const PROXY_CAPABILITIES =
  (Capability.LONG_PASSWORD |
    Capability.FOUND_ROWS |
    Capability.LONG_FLAG |
    Capability.CONNECT_WITH_DB |
    Capability.IGNORE_SPACE |
    Capability.PROTOCOL_41 |
    Capability.INTERACTIVE |
    Capability.IGNORE_SIGPIPE |
    Capability.TRANSACTIONS |
    Capability.SECURE_CONNECTION |
    Capability.MULTI_STATEMENTS |
    Capability.MULTI_RESULTS |
    Capability.PS_MULTI_RESULTS |
    Capability.PLUGIN_AUTH |
    Capability.CONNECT_ATTRS |
    Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) >>>
  0;

/** A 20-byte scramble of printable ASCII (some clients treat it as a NUL-terminated string). */
export function newScramble(): Buffer {
  const b = Buffer.alloc(20);
  for (let i = 0; i < b.length; i++) b[i] = randomInt(33, 127);
  return b;
}

/** A connection id for a greeting (31 bits, never 0). */
export function newConnectionId(): number {
  return randomInt(1, 0x7fffffff);
}

/** The proxy's initial handshake payload. */
export function proxyGreeting(o: { connectionId: number; scramble: Buffer; serverVersion?: string; ssl: boolean }): Buffer {
  return encodeInitialHandshake({
    protocolVersion: 10,
    serverVersion: o.serverVersion ?? DEFAULT_SERVER_VERSION,
    connectionId: o.connectionId,
    scramble: o.scramble,
    capabilities: (o.ssl ? PROXY_CAPABILITIES | Capability.SSL : PROXY_CAPABILITIES) >>> 0,
    mariadbCapabilities: 0,
    charset: CHARSET_UTF8MB4_GENERAL_CI,
    status: ServerStatus.AUTOCOMMIT,
    authPluginName: DEFAULT_AUTH_PLUGIN,
  });
}

/** MySQL error codes and SQLSTATEs the proxy answers with. */
export const ProxyError = {
  /** ER_ACCESS_DENIED_ERROR. */
  accessDenied: { code: 1045, sqlState: '28000' },
  /** ER_DBACCESS_DENIED_ERROR: a database name refused (COM_INIT_DB). */
  dbAccessDenied: { code: 1044, sqlState: '42000' },
  /** ER_UNKNOWN_COM_ERROR: malformed or unsupported command. */
  protocol: { code: 1047, sqlState: '08S01' },
  /** ER_UNKNOWN_ERROR: e.g. the database could not be reached. */
  unknown: { code: 1105, sqlState: 'HY000' },
  /** ER_NOT_SUPPORTED_YET. */
  notSupported: { code: 1235, sqlState: '42000' },
  /** ER_KILL_DENIED_ERROR: a KILL of another Teleport user's session. */
  killDenied: { code: 1095, sqlState: 'HY000' },
} as const;
