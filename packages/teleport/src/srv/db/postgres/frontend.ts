/**
 * @module srv/db/postgres/frontend
 * Frontend (client -> server) messages of the PostgreSQL v3 protocol: parsed from framed messages
 * (see messageReader.ts) and serialized. Pure: no I/O. Layouts quoted from the protocol documentation
 * ("Message Formats"); `String` is NUL-terminated, integers are big-endian.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { RawMessage } from './messageReader.ts';
import { printable } from './messageReader.ts';
import { CANCEL_REQUEST_CODE, GSSENC_REQUEST_CODE, PROTOCOL_V3, SSL_REQUEST_CODE, WireCursor, WireWriter } from './wire.ts';

/** 'S' statement or 'P' portal (Describe and Close). */
export type DescribeTarget = 'S' | 'P';

/** A parsed frontend message. */
export type FrontendMessage =
  | { kind: 'sslRequest' }
  | { kind: 'gssEncRequest' }
  | { kind: 'cancelRequest'; processId: number; secretKey: number }
  | { kind: 'startup'; majorVersion: number; minorVersion: number; parameters: Record<string, string> }
  | { kind: 'query'; sql: string }
  | { kind: 'parse'; name: string; sql: string; paramTypes: number[] }
  | { kind: 'bind'; portal: string; statement: string; paramFormats: number[]; params: (Buffer | null)[]; resultFormats: number[] }
  | { kind: 'describe'; target: DescribeTarget; name: string }
  | { kind: 'execute'; portal: string; maxRows: number }
  | { kind: 'close'; target: DescribeTarget; name: string }
  | { kind: 'sync' }
  | { kind: 'flush' }
  | { kind: 'terminate' }
  /** 'p': a password, or a SASLInitialResponse/SASLResponse; which one depends on the exchange. */
  | { kind: 'password'; data: Buffer }
  | { kind: 'copyData'; data: Buffer }
  | { kind: 'copyDone' }
  | { kind: 'copyFail'; message: string }
  /** A message the proxy passes through without looking (FunctionCall 'F', or one it does not know). */
  | { kind: 'other'; type: string };

/** Parses one framed frontend message. Throws BadParameterError when it is malformed. */
export function parseFrontendMessage(m: RawMessage): FrontendMessage {
  if (m.type === null) return parseUntyped(m.body);
  if (m.skipped) return m.type === 'd' ? { kind: 'copyData', data: Buffer.alloc(0) } : { kind: 'other', type: m.type };
  const c = new WireCursor(m.body, nameOf(m.type));
  let out: FrontendMessage;
  switch (m.type) {
    case 'Q': // Query: String query
      out = { kind: 'query', sql: c.cstring() };
      break;
    case 'P': {
      // Parse: String name | String query | Int16 n | Int32[n] parameter type OIDs
      const name = c.cstring();
      const sql = c.cstring();
      const n = nonNegative(c.int16(), 'parameter type count');
      const paramTypes: number[] = [];
      for (let i = 0; i < n; i++) paramTypes.push(c.int32() >>> 0);
      out = { kind: 'parse', name, sql, paramTypes };
      break;
    }
    case 'B':
      out = parseBind(c);
      break;
    case 'D': // Describe: Byte1 'S'|'P' | String name
      out = { kind: 'describe', target: target(c.byte()), name: c.cstring() };
      break;
    case 'E': // Execute: String portal | Int32 max rows (0 = no limit)
      out = { kind: 'execute', portal: c.cstring(), maxRows: c.int32() };
      break;
    case 'C': // Close: Byte1 'S'|'P' | String name
      out = { kind: 'close', target: target(c.byte()), name: c.cstring() };
      break;
    case 'S':
      out = { kind: 'sync' };
      break;
    case 'H':
      out = { kind: 'flush' };
      break;
    case 'X':
      out = { kind: 'terminate' };
      break;
    case 'p': // PasswordMessage / SASLInitialResponse / SASLResponse: context-dependent body
      return { kind: 'password', data: c.rest() };
    case 'd': // CopyData: Byten
      return { kind: 'copyData', data: c.rest() };
    case 'c':
      out = { kind: 'copyDone' };
      break;
    case 'f': // CopyFail: String message
      out = { kind: 'copyFail', message: c.cstring() };
      break;
    default:
      return { kind: 'other', type: m.type };
  }
  c.end();
  return out;
}

/** Bind: String portal | String statement | Int16 nf | Int16[nf] formats | Int16 np | (Int32 len, Byten)[np] (len -1 = NULL) | Int16 nr | Int16[nr] result formats. */
function parseBind(c: WireCursor): FrontendMessage {
  const portal = c.cstring();
  const statement = c.cstring();
  const paramFormats: number[] = [];
  const nf = nonNegative(c.int16(), 'parameter format count');
  for (let i = 0; i < nf; i++) paramFormats.push(format(c.int16()));
  const params: (Buffer | null)[] = [];
  const np = nonNegative(c.int16(), 'parameter count');
  if (nf > 1 && nf !== np) throw new BadParameterError(`malformed PostgreSQL Bind message: ${nf} parameter formats for ${np} parameters`);
  for (let i = 0; i < np; i++) {
    const len = c.int32();
    if (len < -1) throw new BadParameterError(`malformed PostgreSQL Bind message: parameter length ${len}`);
    params.push(len === -1 ? null : Buffer.from(c.bytes(len)));
  }
  const resultFormats: number[] = [];
  const nr = nonNegative(c.int16(), 'result format count');
  for (let i = 0; i < nr; i++) resultFormats.push(format(c.int16()));
  return { kind: 'bind', portal, statement, paramFormats, params, resultFormats };
}

/** The untyped first messages: Int32 code, then the rest. */
function parseUntyped(body: Buffer): FrontendMessage {
  const c = new WireCursor(body, 'startup packet');
  const code = c.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      c.end();
      return { kind: 'sslRequest' };
    case GSSENC_REQUEST_CODE:
      c.end();
      return { kind: 'gssEncRequest' };
    case CANCEL_REQUEST_CODE: {
      // CancelRequest: Int32 16 | Int32 80877102 | Int32 process ID | Int32 secret key
      const out = { kind: 'cancelRequest' as const, processId: c.int32(), secretKey: c.int32() };
      c.end();
      return out;
    }
  }
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) {
    throw new BadParameterError(`unsupported PostgreSQL frontend protocol ${major}.${minor}: the server supports 3.0 only`);
  }
  // StartupMessage: Int32 len | Int32 196608 | (String name, String value)* | Byte1 0
  const parameters: Record<string, string> = Object.create(null) as Record<string, string>;
  for (;;) {
    const name = c.cstring();
    if (name === '') break;
    parameters[name] = c.cstring();
  }
  c.end();
  return { kind: 'startup', majorVersion: major, minorVersion: minor, parameters };
}

function nonNegative(n: number, what: string): number {
  if (n < 0) throw new BadParameterError(`malformed PostgreSQL message: negative ${what} ${n}`);
  return n;
}

function format(n: number): number {
  if (n !== 0 && n !== 1) throw new BadParameterError(`malformed PostgreSQL Bind message: format code ${n} (must be 0 text or 1 binary)`);
  return n;
}

function target(b: number): DescribeTarget {
  const t = String.fromCharCode(b);
  if (t !== 'S' && t !== 'P') throw new BadParameterError(`malformed PostgreSQL message: '${printable(t)}' is neither 'S' nor 'P'`);
  return t;
}

const NAMES: Record<string, string> = {
  Q: 'Query message', P: 'Parse message', B: 'Bind message', D: 'Describe message', E: 'Execute message',
  C: 'Close message', f: 'CopyFail message',
};

function nameOf(type: string): string {
  return NAMES[type] ?? `'${printable(type)}' message`;
}

/** Serializers of frontend messages (the engine's upstream side, and tests). */
export const frontend = {
  /** SSLRequest: Int32 8 | Int32 80877103. */
  sslRequest: (): Buffer => new WireWriter().int32(SSL_REQUEST_CODE).untyped(),
  /** GSSENCRequest: Int32 8 | Int32 80877104. */
  gssEncRequest: (): Buffer => new WireWriter().int32(GSSENC_REQUEST_CODE).untyped(),
  /** CancelRequest: Int32 16 | Int32 80877102 | Int32 pid | Int32 secret. */
  cancelRequest: (processId: number, secretKey: number): Buffer =>
    new WireWriter().int32(CANCEL_REQUEST_CODE).int32(processId).int32(secretKey).untyped(),
  /** StartupMessage v3.0 with the given parameters, in their order. */
  startup(parameters: Record<string, string>): Buffer {
    const w = new WireWriter().int32(PROTOCOL_V3);
    for (const [k, v] of Object.entries(parameters)) w.cstring(k).cstring(v);
    return w.byte(0).untyped();
  },
  query: (sql: string): Buffer => new WireWriter().cstring(sql).typed('Q'),
  parse: (name: string, sql: string, paramTypes: number[] = []): Buffer => {
    const w = new WireWriter().cstring(name).cstring(sql).int16(paramTypes.length);
    for (const t of paramTypes) w.int32(t);
    return w.typed('P');
  },
  bind(o: { portal?: string; statement?: string; paramFormats?: number[]; params: (Buffer | string | null)[]; resultFormats?: number[] }): Buffer {
    const w = new WireWriter().cstring(o.portal ?? '').cstring(o.statement ?? '');
    const pf = o.paramFormats ?? [];
    w.int16(pf.length);
    for (const f of pf) w.int16(f);
    w.int16(o.params.length);
    for (const p of o.params) {
      if (p === null) w.int32(-1);
      else {
        const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
        w.int32(b.length).bytes(b);
      }
    }
    const rf = o.resultFormats ?? [];
    w.int16(rf.length);
    for (const f of rf) w.int16(f);
    return w.typed('B');
  },
  describe: (t: DescribeTarget, name = ''): Buffer => new WireWriter().byte(t.charCodeAt(0)).cstring(name).typed('D'),
  execute: (portal = '', maxRows = 0): Buffer => new WireWriter().cstring(portal).int32(maxRows).typed('E'),
  close: (t: DescribeTarget, name = ''): Buffer => new WireWriter().byte(t.charCodeAt(0)).cstring(name).typed('C'),
  sync: (): Buffer => new WireWriter().typed('S'),
  flush: (): Buffer => new WireWriter().typed('H'),
  terminate: (): Buffer => new WireWriter().typed('X'),
  /** PasswordMessage: String password (cleartext, or "md5" + hex digest). */
  password: (password: string): Buffer => new WireWriter().cstring(password).typed('p'),
  /** SASLInitialResponse: String mechanism | Int32 length of data (-1 none) | Byten data. */
  saslInitialResponse: (mechanism: string, data: Buffer): Buffer =>
    new WireWriter().cstring(mechanism).int32(data.length).bytes(data).typed('p'),
  /** SASLResponse: Byten data. */
  saslResponse: (data: Buffer): Buffer => new WireWriter().bytes(data).typed('p'),
  copyData: (data: Buffer): Buffer => new WireWriter().bytes(data).typed('d'),
  copyDone: (): Buffer => new WireWriter().typed('c'),
  copyFail: (message: string): Buffer => new WireWriter().cstring(message).typed('f'),
};
