/**
 * @module srv/db/mysql/messages
 * MySQL generic response packets (OK, ERR, EOF) and the command phase's client commands, as pure
 * encoders and parsers. The audit needs the statement of COM_QUERY / COM_STMT_PREPARE, the
 * statement id from the server's COM_STMT_PREPARE_OK, and COM_STMT_EXECUTE's parameters rendered
 * as text (see {@link parseStmtExecute}).
 */
import { MySQLProtocolError, PayloadReader, PayloadWriter } from './packets.ts';
import { Capability, hasCapability, ServerStatus } from './handshake.ts';

/** Command bytes (first byte of every command-phase client packet). */
export const Command = {
  SLEEP: 0x00,
  QUIT: 0x01,
  INIT_DB: 0x02,
  QUERY: 0x03,
  FIELD_LIST: 0x04,
  CREATE_DB: 0x05,
  DROP_DB: 0x06,
  REFRESH: 0x07,
  SHUTDOWN: 0x08,
  STATISTICS: 0x09,
  PROCESS_INFO: 0x0a,
  CONNECT: 0x0b,
  PROCESS_KILL: 0x0c,
  DEBUG: 0x0d,
  PING: 0x0e,
  TIME: 0x0f,
  DELAYED_INSERT: 0x10,
  CHANGE_USER: 0x11,
  BINLOG_DUMP: 0x12,
  TABLE_DUMP: 0x13,
  CONNECT_OUT: 0x14,
  REGISTER_SLAVE: 0x15,
  STMT_PREPARE: 0x16,
  STMT_EXECUTE: 0x17,
  STMT_SEND_LONG_DATA: 0x18,
  STMT_CLOSE: 0x19,
  STMT_RESET: 0x1a,
  SET_OPTION: 0x1b,
  STMT_FETCH: 0x1c,
  DAEMON: 0x1d,
  BINLOG_DUMP_GTID: 0x1e,
  RESET_CONNECTION: 0x1f,
  /** MariaDB: COM_STMT_BULK_EXECUTE. */
  STMT_BULK_EXECUTE: 0xfa,
} as const;

/** An OK packet (0x00; 0xFE when it ends a result set under CLIENT_DEPRECATE_EOF). */
export interface OKPacket {
  affectedRows: number;
  lastInsertId: number;
  status: number;
  warnings: number;
  /** Human-readable info (and session state when CLIENT_SESSION_TRACK), raw. */
  info: Buffer;
}

/** Serializes an OK packet (protocol 4.1 layout). */
export function encodeOK(ok: Partial<OKPacket> = {}): Buffer {
  return new PayloadWriter()
    .u8(0x00)
    .lenencInt(ok.affectedRows ?? 0)
    .lenencInt(ok.lastInsertId ?? 0)
    .u16(ok.status ?? ServerStatus.AUTOCOMMIT)
    .u16(ok.warnings ?? 0)
    .bytes(ok.info ?? Buffer.alloc(0))
    .build();
}

/** Parses an OK packet (header 0x00 or 0xFE). */
export function parseOK(payload: Buffer): OKPacket {
  const r = new PayloadReader(payload);
  const header = r.u8();
  if (header !== 0x00 && header !== 0xfe) throw new MySQLProtocolError('not an OK packet');
  const affectedRows = r.lenencInt() ?? 0;
  const lastInsertId = r.lenencInt() ?? 0;
  const status = r.remaining >= 2 ? r.u16() : 0;
  const warnings = r.remaining >= 2 ? r.u16() : 0;
  return { affectedRows, lastInsertId, status, warnings, info: r.rest() };
}

/** An ERR packet. */
export interface ERRPacket {
  code: number;
  /** Five-character SQLSTATE ('HY000' when the server sent none). */
  sqlState: string;
  message: string;
}

/** Serializes an ERR packet with the SQLSTATE marker. */
export function encodeERR(e: ERRPacket): Buffer {
  const state = (e.sqlState + 'HY000').slice(0, 5);
  return new PayloadWriter().u8(0xff).u16(e.code).u8(0x23).bytes(state).bytes(e.message).build();
}

/** Parses an ERR packet (with or without the '#' SQLSTATE marker). */
export function parseERR(payload: Buffer): ERRPacket {
  const r = new PayloadReader(payload);
  if (r.u8() !== 0xff) throw new MySQLProtocolError('not an ERR packet');
  const code = r.u16();
  let sqlState = 'HY000';
  if (r.remaining >= 6 && payload[3] === 0x23) {
    r.u8();
    sqlState = r.bytes(5).toString('latin1');
  }
  return { code, sqlState, message: r.rest().toString('utf8') };
}

/** An EOF packet (0xFE, payload < 9 bytes). */
export interface EOFPacket {
  warnings: number;
  status: number;
}

/** Serializes an EOF packet. */
export function encodeEOF(e: Partial<EOFPacket> = {}): Buffer {
  return new PayloadWriter().u8(0xfe).u16(e.warnings ?? 0).u16(e.status ?? ServerStatus.AUTOCOMMIT).build();
}

/** Parses an EOF packet. */
export function parseEOF(payload: Buffer): EOFPacket {
  const r = new PayloadReader(payload);
  if (r.u8() !== 0xfe) throw new MySQLProtocolError('not an EOF packet');
  return { warnings: r.remaining >= 2 ? r.u16() : 0, status: r.remaining >= 2 ? r.u16() : 0 };
}

/** True for an EOF packet or a DEPRECATE_EOF OK-terminator (0xFE, shorter than a 0xFE-prefixed row could be). */
export function isEOFOrTerminator(payload: Buffer): boolean {
  return payload[0] === 0xfe && payload.length < 0xffffff;
}

/** Encodes COM_QUERY. */
export function encodeComQuery(sql: string): Buffer {
  return new PayloadWriter().u8(Command.QUERY).bytes(sql).build();
}

/** Encodes COM_STMT_PREPARE. */
export function encodeComStmtPrepare(sql: string): Buffer {
  return new PayloadWriter().u8(Command.STMT_PREPARE).bytes(sql).build();
}

/** Encodes a command whose payload is a 4-byte statement id (COM_STMT_CLOSE, COM_STMT_RESET). */
export function encodeStmtIdCommand(command: number, statementId: number): Buffer {
  return new PayloadWriter().u8(command).u32(statementId).build();
}

/** Encodes COM_INIT_DB. */
export function encodeComInitDB(db: string): Buffer {
  return new PayloadWriter().u8(Command.INIT_DB).bytes(db).build();
}

/** The server's COM_STMT_PREPARE_OK. */
export interface StmtPrepareOK {
  statementId: number;
  numColumns: number;
  numParams: number;
  warnings: number;
}

/** Encodes COM_STMT_PREPARE_OK (column and parameter definitions follow as separate packets). */
export function encodeStmtPrepareOK(p: StmtPrepareOK): Buffer {
  return new PayloadWriter().u8(0).u32(p.statementId).u16(p.numColumns).u16(p.numParams).u8(0).u16(p.warnings).build();
}

/** Parses COM_STMT_PREPARE_OK. */
export function parseStmtPrepareOK(payload: Buffer): StmtPrepareOK {
  const r = new PayloadReader(payload);
  if (r.u8() !== 0x00) throw new MySQLProtocolError('not a COM_STMT_PREPARE_OK packet');
  const statementId = r.u32();
  const numColumns = r.u16();
  const numParams = r.u16();
  let warnings = 0;
  if (r.remaining >= 3) {
    r.u8();
    warnings = r.u16();
  }
  return { statementId, numColumns, numParams, warnings };
}

/** COM_CHANGE_USER's fields the proxy needs. */
export interface ChangeUser {
  user: string;
  database: string;
  authPluginName: string;
}

/** COM_CHANGE_USER in full: the auth response, the character set and connection attributes too. */
export interface ChangeUserRequest extends ChangeUser {
  /** The client's first auth response (computed with the session's original scramble). */
  authResponse: Buffer;
  /** Character set id; undefined when the client sent none (pre-4.1 layout). */
  charset: number | undefined;
  /** Connection attributes; {} when absent. */
  attributes: Record<string, string>;
}

/**
 * Parses COM_CHANGE_USER in full. Clients (libmariadb, libmysqlclient) decide which optional fields
 * they send from the *server's* capabilities, so trailing fields are read whenever bytes remain:
 * `user NUL, [len u8 + auth | auth NUL], database NUL, [charset u16], [plugin NUL], [lenenc attrs]`.
 */
export function parseChangeUserRequest(payload: Buffer, capabilities: number): ChangeUserRequest {
  const r = new PayloadReader(payload);
  if (r.u8() !== Command.CHANGE_USER) throw new MySQLProtocolError('not a COM_CHANGE_USER packet');
  const user = r.nulString(true);
  let authResponse: Buffer;
  if (hasCapability(capabilities, Capability.SECURE_CONNECTION)) authResponse = r.bytes(r.remaining > 0 ? r.u8() : 0);
  else authResponse = r.nulBytes(true);
  const database = r.remaining > 0 ? r.nulString(true) : '';
  const charset = r.remaining >= 2 ? r.u16() : undefined;
  const authPluginName = hasCapability(capabilities, Capability.PLUGIN_AUTH) && r.remaining > 0 ? r.nulString(true) : '';
  const attributes: Record<string, string> = {};
  if (r.remaining > 0) {
    const a = new PayloadReader(r.lenencBytes());
    while (a.remaining > 0) {
      const k = a.lenencString();
      attributes[k] = a.lenencString();
    }
  }
  return { user, database, authPluginName, authResponse, charset, attributes };
}

/** Parses COM_CHANGE_USER with the session's negotiated capabilities (the fields the proxy needs). */
export function parseChangeUser(payload: Buffer, capabilities: number): ChangeUser {
  const { user, database, authPluginName } = parseChangeUserRequest(payload, capabilities);
  return { user, database, authPluginName };
}

/** Encodes COM_CHANGE_USER (protocol 4.1 layout; an empty auth response unless one is given). */
export function encodeChangeUser(c: ChangeUser & { authResponse?: Buffer; attributes?: Record<string, string> }, charset: number): Buffer {
  const auth = c.authResponse ?? Buffer.alloc(0);
  const w = new PayloadWriter()
    .u8(Command.CHANGE_USER)
    .nulString(c.user)
    .u8(auth.length)
    .bytes(auth)
    .nulString(c.database)
    .u16(charset)
    .nulString(c.authPluginName);
  if (c.attributes && Object.keys(c.attributes).length > 0) {
    const attrs = new PayloadWriter();
    for (const [k, v] of Object.entries(c.attributes)) attrs.lenencString(k).lenencString(v);
    w.lenencString(attrs.build());
  }
  return w.build();
}
