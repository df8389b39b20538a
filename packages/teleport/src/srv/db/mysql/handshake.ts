/**
 * @module srv/db/mysql/handshake
 * The MySQL connection phase as pure encoders and parsers: capability flags, the initial handshake
 * (protocol 10), SSLRequest, HandshakeResponse41, AuthSwitchRequest and AuthMoreData, and the
 * client-side password scrambles of `mysql_native_password` and `caching_sha2_password`.
 *
 * MariaDB differences handled here: its greeting's version starts with "5.5.5-" (old clients compared
 * versions), and when a peer leaves CLIENT_MYSQL (= CLIENT_LONG_PASSWORD, bit 0) unset, 4 bytes of
 * MariaDB-only capabilities ride in the reserved filler of the greeting (last 4 of 10) and of the
 * HandshakeResponse41 (last 4 of 23).
 */
import { createHash } from 'node:crypto';
import { MySQLProtocolError, PayloadReader, PayloadWriter } from './packets.ts';

/** Capability flags (the lower 32 bits; MariaDB's extended ones are {@link MariaDBCapability}). */
export const Capability = {
  LONG_PASSWORD: 0x1, // MariaDB calls it CLIENT_MYSQL: unset means "MariaDB extended capabilities follow"
  FOUND_ROWS: 0x2,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  NO_SCHEMA: 0x10,
  COMPRESS: 0x20,
  ODBC: 0x40,
  LOCAL_FILES: 0x80,
  IGNORE_SPACE: 0x100,
  PROTOCOL_41: 0x200,
  INTERACTIVE: 0x400,
  SSL: 0x800,
  IGNORE_SIGPIPE: 0x1000,
  TRANSACTIONS: 0x2000,
  RESERVED: 0x4000,
  SECURE_CONNECTION: 0x8000,
  MULTI_STATEMENTS: 0x10000,
  MULTI_RESULTS: 0x20000,
  PS_MULTI_RESULTS: 0x40000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 0x200000,
  CAN_HANDLE_EXPIRED_PASSWORDS: 0x400000,
  SESSION_TRACK: 0x800000,
  DEPRECATE_EOF: 0x1000000,
  OPTIONAL_RESULTSET_METADATA: 0x2000000,
  ZSTD_COMPRESSION: 0x4000000,
  QUERY_ATTRIBUTES: 0x8000000,
  MULTI_FACTOR_AUTHENTICATION: 0x10000000,
  CAPABILITY_EXTENSION: 0x20000000,
  SSL_VERIFY_SERVER_CERT: 0x40000000,
  REMEMBER_OPTIONS: 0x80000000,
} as const;

/** MariaDB's extended capabilities (the upper 32 bits, carried in the reserved filler). */
export const MariaDBCapability = {
  PROGRESS: 0x1,
  COM_MULTI: 0x2,
  STMT_BULK_OPERATIONS: 0x4,
  EXTENDED_METADATA: 0x8,
  CACHE_METADATA: 0x10,
} as const;

/** True when `caps` has `flag` (works for bit 31 too). */
export function hasCapability(caps: number, flag: number): boolean {
  return (caps & flag) !== 0;
}

/** utf8mb4_general_ci: understood by MySQL 5.5.3+, MySQL 8 and MariaDB. */
export const CHARSET_UTF8MB4_GENERAL_CI = 45;

/** Server status flags used by the proxy. */
export const ServerStatus = {
  IN_TRANS: 0x1,
  AUTOCOMMIT: 0x2,
  MORE_RESULTS_EXISTS: 0x8,
  CURSOR_EXISTS: 0x40,
  LAST_ROW_SENT: 0x80,
} as const;

/** The initial handshake packet (protocol version 10). */
export interface InitialHandshake {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  /** The auth plugin data ("scramble"), normally 20 bytes. */
  scramble: Buffer;
  capabilities: number;
  /** MariaDB extended capabilities; 0 from MySQL servers. */
  mariadbCapabilities: number;
  charset: number;
  status: number;
  authPluginName: string;
}

/** True when a greeting comes from MariaDB (its "5.5.5-" version prefix or the "MariaDB" marker). */
export function isMariaDBGreeting(h: InitialHandshake): boolean {
  return h.serverVersion.startsWith('5.5.5-') || /mariadb/i.test(h.serverVersion);
}

/** Serializes an initial handshake (as a server sends it at sequence id 0). */
export function encodeInitialHandshake(h: InitialHandshake): Buffer {
  if (h.scramble.length < 8) throw new MySQLProtocolError('a handshake scramble needs at least 8 bytes');
  const w = new PayloadWriter()
    .u8(h.protocolVersion)
    .nulString(h.serverVersion)
    .u32(h.connectionId)
    .bytes(h.scramble.subarray(0, 8))
    .u8(0)
    .u16(h.capabilities & 0xffff)
    .u8(h.charset)
    .u16(h.status)
    .u16((h.capabilities >>> 16) & 0xffff)
    .u8(hasCapability(h.capabilities, Capability.PLUGIN_AUTH) ? h.scramble.length + 1 : 0)
    .zeros(6);
  // MariaDB extended capabilities live in the last 4 reserved bytes when CLIENT_MYSQL is unset.
  if (!hasCapability(h.capabilities, Capability.LONG_PASSWORD)) w.u32(h.mariadbCapabilities);
  else w.zeros(4);
  if (hasCapability(h.capabilities, Capability.SECURE_CONNECTION)) {
    const part2 = h.scramble.subarray(8);
    w.bytes(part2).zeros(Math.max(13 - part2.length, 1));
  }
  if (hasCapability(h.capabilities, Capability.PLUGIN_AUTH)) w.nulString(h.authPluginName);
  return w.build();
}

/** Parses a server's initial handshake. Throws MySQLProtocolError for other protocol versions. */
export function parseInitialHandshake(payload: Buffer): InitialHandshake {
  const r = new PayloadReader(payload);
  const protocolVersion = r.u8();
  if (protocolVersion !== 10) throw new MySQLProtocolError(`unsupported MySQL handshake protocol version ${protocolVersion}`);
  const serverVersion = r.nulString();
  const connectionId = r.u32();
  const part1 = r.bytes(8);
  r.u8();
  let capabilities = r.u16();
  let charset = 0;
  let status = 0;
  let authLen = 0;
  let mariadbCapabilities = 0;
  let part2: Buffer = Buffer.alloc(0);
  let authPluginName = '';
  if (r.remaining > 0) {
    charset = r.u8();
    status = r.u16();
    capabilities = (capabilities | (r.u16() << 16)) >>> 0;
    authLen = r.u8();
    r.bytes(6);
    const ext = r.u32();
    if (!hasCapability(capabilities, Capability.LONG_PASSWORD)) mariadbCapabilities = ext;
    if (hasCapability(capabilities, Capability.SECURE_CONNECTION)) {
      part2 = r.bytes(Math.min(r.remaining, Math.max(13, authLen - 8)));
      // The second part is NUL-terminated; the terminator is not scramble data.
      if (part2.length > 0 && part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
    }
    if (hasCapability(capabilities, Capability.PLUGIN_AUTH)) authPluginName = r.nulString(true);
  }
  return {
    protocolVersion,
    serverVersion,
    connectionId,
    scramble: Buffer.concat([part1, part2]),
    capabilities,
    mariadbCapabilities,
    charset,
    status,
    authPluginName: authPluginName || 'mysql_native_password',
  };
}

/** The fixed 32-byte prefix every HandshakeResponse41 starts with; alone, with CLIENT_SSL, it is an SSLRequest. */
export interface SSLRequest {
  capabilities: number;
  maxPacketSize: number;
  charset: number;
  mariadbCapabilities: number;
}

/** Length of an SSLRequest payload. */
export const SSL_REQUEST_LENGTH = 32;

function writePrefix(w: PayloadWriter, p: SSLRequest): PayloadWriter {
  w.u32(p.capabilities).u32(p.maxPacketSize).u8(p.charset).zeros(19);
  return hasCapability(p.capabilities, Capability.LONG_PASSWORD) ? w.zeros(4) : w.u32(p.mariadbCapabilities);
}

/** Serializes an SSLRequest (CLIENT_SSL is added to the capabilities). */
export function encodeSSLRequest(p: SSLRequest): Buffer {
  return writePrefix(new PayloadWriter(), { ...p, capabilities: (p.capabilities | Capability.SSL) >>> 0 }).build();
}

/** True when a client's first reply is an SSLRequest rather than a full HandshakeResponse41. */
export function isSSLRequest(payload: Buffer): boolean {
  return payload.length === SSL_REQUEST_LENGTH && hasCapability(payload.readUInt32LE(0), Capability.SSL);
}

function readPrefix(r: PayloadReader): SSLRequest {
  const capabilities = r.u32();
  if (!hasCapability(capabilities, Capability.PROTOCOL_41)) {
    throw new MySQLProtocolError('the client does not speak protocol 4.1 (HandshakeResponse320 is not supported)');
  }
  const maxPacketSize = r.u32();
  const charset = r.u8();
  r.bytes(19);
  const ext = r.u32();
  return { capabilities, maxPacketSize, charset, mariadbCapabilities: hasCapability(capabilities, Capability.LONG_PASSWORD) ? 0 : ext };
}

/** Parses an SSLRequest. */
export function parseSSLRequest(payload: Buffer): SSLRequest {
  return readPrefix(new PayloadReader(payload));
}

/** A client's HandshakeResponse41. */
export interface HandshakeResponse extends SSLRequest {
  user: string;
  authResponse: Buffer;
  /** '' when no database was given. */
  database: string;
  /** '' when the client sent none (no CLIENT_PLUGIN_AUTH). */
  authPluginName: string;
  attributes: Record<string, string>;
}

/** Serializes a HandshakeResponse41; which fields appear follows `capabilities`. */
export function encodeHandshakeResponse(h: HandshakeResponse): Buffer {
  const w = writePrefix(new PayloadWriter(), h).nulString(h.user);
  if (hasCapability(h.capabilities, Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA)) w.lenencString(h.authResponse);
  else if (hasCapability(h.capabilities, Capability.SECURE_CONNECTION)) w.u8(h.authResponse.length).bytes(h.authResponse);
  else w.nulString(h.authResponse);
  if (hasCapability(h.capabilities, Capability.CONNECT_WITH_DB)) w.nulString(h.database);
  if (hasCapability(h.capabilities, Capability.PLUGIN_AUTH)) w.nulString(h.authPluginName);
  if (hasCapability(h.capabilities, Capability.CONNECT_ATTRS)) {
    const attrs = new PayloadWriter();
    for (const [k, v] of Object.entries(h.attributes)) attrs.lenencString(k).lenencString(v);
    w.lenencString(attrs.build());
  }
  return w.build();
}

/** Parses a HandshakeResponse41 (lenient about optional trailing fields, as servers are). */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new PayloadReader(payload);
  const prefix = readPrefix(r);
  const caps = prefix.capabilities;
  const user = r.nulString(true);
  let authResponse: Buffer = Buffer.alloc(0);
  if (r.remaining > 0) {
    if (hasCapability(caps, Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA)) authResponse = r.lenencBytes();
    else if (hasCapability(caps, Capability.SECURE_CONNECTION)) authResponse = r.bytes(r.u8());
    else authResponse = r.nulBytes(true);
  }
  const database = hasCapability(caps, Capability.CONNECT_WITH_DB) && r.remaining > 0 ? r.nulString(true) : '';
  const authPluginName = hasCapability(caps, Capability.PLUGIN_AUTH) && r.remaining > 0 ? r.nulString(true) : '';
  const attributes: Record<string, string> = {};
  if (hasCapability(caps, Capability.CONNECT_ATTRS) && r.remaining > 0) {
    const a = new PayloadReader(r.lenencBytes());
    while (a.remaining > 0) {
      const k = a.lenencString();
      attributes[k] = a.lenencString();
    }
  }
  return { ...prefix, user, authResponse, database, authPluginName, attributes };
}

/** AuthSwitchRequest (0xFE): the server asks the client to authenticate with another plugin. */
export interface AuthSwitchRequest {
  pluginName: string;
  /** Plugin data (for the scramble plugins: the 20-byte scramble, NUL terminator stripped). */
  pluginData: Buffer;
}

/** Serializes an AuthSwitchRequest; scramble data gets the NUL terminator servers send. */
export function encodeAuthSwitchRequest(a: AuthSwitchRequest): Buffer {
  return new PayloadWriter().u8(0xfe).nulString(a.pluginName).bytes(a.pluginData).u8(0).build();
}

/** Parses an AuthSwitchRequest. A lone 0xFE (the pre-4.1 "old password" switch) is refused. */
export function parseAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new PayloadReader(payload);
  if (r.u8() !== 0xfe) throw new MySQLProtocolError('not an AuthSwitchRequest');
  if (r.remaining === 0) throw new MySQLProtocolError('the server asked for mysql_old_password, which is not supported');
  const pluginName = r.nulString(true);
  let pluginData = r.rest();
  if (pluginData.length > 0 && pluginData[pluginData.length - 1] === 0) pluginData = pluginData.subarray(0, -1);
  return { pluginName, pluginData };
}

/** caching_sha2_password AuthMoreData codes. */
export const CachingSha2 = { FAST_AUTH_SUCCESS: 0x03, PERFORM_FULL_AUTHENTICATION: 0x04, REQUEST_PUBLIC_KEY: 0x02 } as const;

/** Serializes AuthMoreData (0x01 + data). */
export function encodeAuthMoreData(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x01]), data]);
}

/** Parses AuthMoreData, returning its data. */
export function parseAuthMoreData(payload: Buffer): Buffer {
  if (payload[0] !== 0x01) throw new MySQLProtocolError('not an AuthMoreData packet');
  return payload.subarray(1);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i % b.length] as number);
  return out;
}

const sha1 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('sha1')).digest();
const sha256 = (...parts: Buffer[]): Buffer => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();

/** mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))); empty for an empty password. */
export function scrambleNativePassword(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const stage1 = sha1(Buffer.from(password, 'utf8'));
  return xor(stage1, sha1(scramble.subarray(0, 20), sha1(stage1)));
}

/** caching_sha2_password: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble); empty for an empty password. */
export function scrambleCachingSha2Password(password: string, scramble: Buffer): Buffer {
  if (password === '') return Buffer.alloc(0);
  const p1 = sha256(Buffer.from(password, 'utf8'));
  return xor(p1, sha256(sha256(p1), scramble.subarray(0, 20)));
}
