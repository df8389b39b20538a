/**
 * @module srv/db/mysql/upstream
 * The database service's connection to the real MySQL/MariaDB server, as the client side:
 *
 * ```
 * server -> us  seq 0  initial handshake (MySQL 8: caching_sha2_password; MariaDB: "5.5.5-" version)
 * us -> server  seq 1  SSLRequest, then TLS with a client certificate from the db CA (CN = db user)
 * us -> server  seq 2  HandshakeResponse41: user, database, auth response for the greeting's plugin
 * server <-> us        AuthSwitchRequest (0xFE) / AuthMoreData (0x01) rounds, until OK or ERR
 * ```
 *
 * Certificate-only accounts (`REQUIRE X509` / `REQUIRE SUBJECT` with no password) get empty auth
 * responses for every scramble plugin. With a configured password: mysql_native_password and
 * caching_sha2_password scrambles, caching_sha2 full authentication (the password in clear + NUL,
 * safe inside TLS), sha256_password and mysql_clear_password likewise in clear over TLS.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { BadParameterError, ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import { PacketStream } from './packetStream.ts';
import { MySQLProtocolError } from './packets.ts';
import {
  CachingSha2,
  Capability,
  encodeHandshakeResponse,
  encodeSSLRequest,
  hasCapability,
  parseAuthSwitchRequest,
  parseInitialHandshake,
  scrambleCachingSha2Password,
  scrambleNativePassword,
  type InitialHandshake,
} from './handshake.ts';
import { parseERR, type ERRPacket } from './messages.ts';
import { PROXY_CAPABILITIES } from './greeting.ts';

/** The database refused us: its ERR packet, to forward to the client. */
export class UpstreamRefusedError extends Error {
  constructor(readonly packet: ERRPacket) {
    super(`the database refused the connection: ${packet.message}`);
    this.name = 'UpstreamRefusedError';
  }
}

/** Options of {@link connectUpstream}. */
export interface UpstreamOptions {
  /** host:port of the database (a mysql:// prefix is tolerated; default port 3306). */
  uri: string;
  user: string;
  database: string;
  /** TLS options with the db client certificate (EngineContext.upstreamTLS). */
  tls: ConnectionOptions;
  /** Password for password-authenticated databases; absent for certificate auth. */
  password?: string;
  /** The client's capabilities, intersected with the proxy's and the server's. */
  clientCapabilities: number;
  charset: number;
  maxPacketSize: number;
  attributes: Record<string, string>;
  /** Time allowed for TCP, TLS and authentication; default 15 s. */
  timeoutMs?: number;
}

/** An authenticated connection to the database, in the command phase. */
export interface UpstreamConnection {
  socket: TLSSocket;
  packets: PacketStream;
  greeting: InitialHandshake;
  /** The capabilities in effect for the session. */
  capabilities: number;
  /** The server's final OK payload (forwarded to the client). */
  okPayload: Buffer;
}

/** Splits "host:port", "[v6]:port" or "mysql://host:port/..." into host and port. */
export function parseMySQLAddress(uri: string): { host: string; port: number } {
  const s = uri.replace(/^mysql:\/\//, '').replace(/\/.*$/, '');
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m || !m[1]) throw new BadParameterError(`invalid MySQL address "${uri}": expected host:port`);
  const port = m[2] ? Number(m[2]) : 3306;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BadParameterError(`invalid port in MySQL address "${uri}"`);
  return { host: m[1], port };
}

/** The auth response for `plugin` with scramble `data`, or an error for plugins we cannot answer. */
function authResponseFor(plugin: string, data: Buffer, password: string | undefined): Buffer {
  switch (plugin) {
    case 'mysql_native_password':
      return scrambleNativePassword(password ?? '', data);
    case 'caching_sha2_password':
      return scrambleCachingSha2Password(password ?? '', data);
    case 'sha256_password':
    case 'mysql_clear_password':
      // Clear text is acceptable only because the connection is already TLS.
      return password ? Buffer.from(`${password}\0`, 'utf8') : Buffer.alloc(plugin === 'sha256_password' ? 1 : 0);
    case 'client_ed25519':
      if (password) throw new BadParameterError('MariaDB client_ed25519 accounts are not supported with a password: use mysql_native_password or certificates');
      return Buffer.alloc(0);
    default:
      throw new BadParameterError(`the database asked for auth plugin "${plugin}", which the database service does not support`);
  }
}

function connectTCP(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // Interactive protocols: without TCP_NODELAY every small query waits ~40 ms for delayed ACKs (docs/benchmarks.md).
    const s = netConnect({ host, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function upgradeTLS(socket: Socket, tls: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({ ...tls, socket });
    t.once('secureConnect', () => {
      t.off('error', reject);
      resolve(t);
    });
    t.once('error', reject);
  });
}

async function readOrFail(ps: PacketStream, what: string) {
  const p = await ps.read();
  if (!p) throw new ConnectionProblemError(`the database closed the connection during ${what}`);
  return p;
}

/** Connects, upgrades to TLS and authenticates to the database. Throws UpstreamRefusedError for an ERR. */
export async function connectUpstream(o: UpstreamOptions): Promise<UpstreamConnection> {
  const { host, port } = parseMySQLAddress(o.uri);
  let raw: Socket | undefined;
  let tlsSocket: TLSSocket | undefined;
  const timer = setTimeout(() => {
    const err = new ConnectionProblemError(`timed out connecting to the database at ${o.uri}`);
    (tlsSocket ?? raw)?.destroy(err);
  }, o.timeoutMs ?? 15_000);
  try {
    try {
      raw = await connectTCP(host, port);
    } catch (err) {
      throw new ConnectionProblemError(`could not reach the database at ${o.uri}: ${errorMessage(err)}`);
    }
    const pre = new PacketStream(raw, 64 * 1024);
    const hello = await readOrFail(pre, 'the handshake');
    if (hello.payload[0] === 0xff) throw new UpstreamRefusedError(parseERR(hello.payload));
    const greeting = parseInitialHandshake(hello.payload);
    if (!hasCapability(greeting.capabilities, Capability.SSL)) {
      throw new ConnectionProblemError(`the database at ${o.uri} does not offer TLS: configure ssl_cert/ssl_key/ssl_ca on the server`);
    }
    const wanted = o.clientCapabilities & PROXY_CAPABILITIES & greeting.capabilities;
    let caps = (wanted | Capability.LONG_PASSWORD | Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.SSL) >>> 0;
    caps = hasCapability(greeting.capabilities, Capability.PLUGIN_AUTH) ? (caps | Capability.PLUGIN_AUTH) >>> 0 : caps;
    if (o.database) caps = (caps | Capability.CONNECT_WITH_DB) >>> 0;
    else caps = (caps & ~Capability.CONNECT_WITH_DB) >>> 0;
    const prefix = { capabilities: caps, maxPacketSize: o.maxPacketSize, charset: o.charset, mariadbCapabilities: 0 };
    pre.write(hello.lastSeq + 1, encodeSSLRequest(prefix));
    const socketForTLS = pre.detach() as Socket;
    try {
      tlsSocket = await upgradeTLS(socketForTLS, o.tls);
    } catch (err) {
      throw new ConnectionProblemError(`TLS handshake with the database at ${o.uri} failed: ${errorMessage(err)}`);
    }
    const ps = new PacketStream(tlsSocket, 64 * 1024);
    let plugin = greeting.authPluginName;
    let seq = hello.lastSeq + 2;
    ps.write(
      seq,
      encodeHandshakeResponse({
        ...prefix,
        user: o.user,
        authResponse: authResponseFor(plugin, greeting.scramble, o.password),
        database: o.database,
        authPluginName: plugin,
        attributes: o.attributes,
      }),
    );
    for (;;) {
      const p = await readOrFail(ps, 'authentication');
      seq = p.lastSeq + 1;
      const kind = p.payload[0];
      if (kind === 0x00) {
        clearTimeout(timer);
        return { socket: tlsSocket, packets: ps, greeting, capabilities: caps, okPayload: p.payload };
      }
      if (kind === 0xff) throw new UpstreamRefusedError(parseERR(p.payload));
      if (kind === 0xfe) {
        const sw = parseAuthSwitchRequest(p.payload);
        plugin = sw.pluginName;
        ps.write(seq, authResponseFor(plugin, sw.pluginData, o.password));
      } else if (kind === 0x01 && plugin === 'caching_sha2_password' && p.payload.length === 2) {
        if (p.payload[1] === CachingSha2.FAST_AUTH_SUCCESS) continue;
        if (p.payload[1] !== CachingSha2.PERFORM_FULL_AUTHENTICATION) throw new MySQLProtocolError('unexpected caching_sha2_password data');
        if (!o.password) throw new BadParameterError(`the database wants a password for user "${o.user}": require X509 for the account or configure a password`);
        ps.write(seq, Buffer.from(`${o.password}\0`, 'utf8'));
      } else {
        throw new MySQLProtocolError(`unexpected packet 0x${(kind ?? 0).toString(16)} during authentication with ${plugin}`);
      }
    }
  } catch (err) {
    clearTimeout(timer);
    (tlsSocket ?? raw)?.destroy();
    throw err;
  }
}
