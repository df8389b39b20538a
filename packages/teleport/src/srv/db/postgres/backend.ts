/**
 * @module srv/db/postgres/backend
 * Backend (server -> client) messages of the PostgreSQL v3 protocol: the ones the proxy writes itself
 * (errors, the authentication exchange, startup state) and the ones the engine watches while it relays
 * (errors, command completion, ReadyForQuery, BackendKeyData, Authentication*). Pure: no I/O.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import type { RawMessage } from './messageReader.ts';
import { WireCursor, WireWriter } from './wire.ts';

/** Fields of an ErrorResponse / NoticeResponse the proxy writes or reads (by their one-letter codes). */
export interface ErrorFields {
  /** 'S': ERROR, FATAL, PANIC (errors) or WARNING, NOTICE, ... (notices); localized. */
  severity: string;
  /** 'C': SQLSTATE, e.g. 28000 invalid_authorization_specification. */
  code: string;
  /** 'M': the primary message. */
  message: string;
  /** 'D': detail. */
  detail?: string;
  /** 'H': hint. */
  hint?: string;
  /** Every field by its code letter, as received (parse only). */
  all?: Record<string, string>;
}

/** SQLSTATEs the proxy uses. */
export const SQLSTATE = {
  /** invalid_authorization_specification: access refused. */
  invalidAuthorization: '28000',
  /** invalid_password. */
  invalidPassword: '28P01',
  /** protocol_violation: bytes that are not the protocol. */
  protocolViolation: '08P01',
  /** connection_failure: the database could not be reached. */
  connectionFailure: '08006',
  /** feature_not_supported. */
  featureNotSupported: '0A000',
} as const;

/** A parsed Authentication* ('R') message: Int32 code, then code-specific data. */
export type AuthenticationMessage =
  | { code: 0; kind: 'ok' }
  | { code: 3; kind: 'cleartextPassword' }
  | { code: 5; kind: 'md5Password'; salt: Buffer }
  | { code: 10; kind: 'sasl'; mechanisms: string[] }
  | { code: 11; kind: 'saslContinue'; data: Buffer }
  | { code: 12; kind: 'saslFinal'; data: Buffer }
  | { code: number; kind: 'unsupported' };

/** A parsed backend message (only the kinds the proxy looks at; the rest are `other`). */
export type BackendMessage =
  | { kind: 'authentication'; auth: AuthenticationMessage }
  | { kind: 'error'; fields: ErrorFields }
  | { kind: 'notice'; fields: ErrorFields }
  | { kind: 'parameterStatus'; name: string; value: string }
  | { kind: 'backendKeyData'; processId: number; secretKey: number }
  /** 'Z': Byte1 status: 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  | { kind: 'readyForQuery'; status: string }
  | { kind: 'commandComplete'; tag: string }
  | { kind: 'emptyQueryResponse' }
  | { kind: 'portalSuspended' }
  | { kind: 'other'; type: string };

/** Parses one framed backend message. Throws BadParameterError when it is malformed. */
export function parseBackendMessage(m: RawMessage): BackendMessage {
  if (m.type === null) throw new BadParameterError('a PostgreSQL server sent an untyped message');
  if (m.skipped) return { kind: 'other', type: m.type };
  const c = new WireCursor(m.body, `backend '${m.type}' message`);
  let out: BackendMessage;
  switch (m.type) {
    case 'R':
      return { kind: 'authentication', auth: parseAuthentication(c) };
    case 'E': // ErrorResponse: (Byte1 field code, String value)* | Byte1 0
      return { kind: 'error', fields: parseFields(c) };
    case 'N':
      return { kind: 'notice', fields: parseFields(c) };
    case 'S': // ParameterStatus: String name | String value
      out = { kind: 'parameterStatus', name: c.cstring(), value: c.cstring() };
      break;
    case 'K': // BackendKeyData: Int32 process ID | Int32 secret key
      out = { kind: 'backendKeyData', processId: c.int32(), secretKey: c.int32() };
      break;
    case 'Z': // ReadyForQuery: Byte1 status
      out = { kind: 'readyForQuery', status: String.fromCharCode(c.byte()) };
      break;
    case 'C': // CommandComplete: String tag
      out = { kind: 'commandComplete', tag: c.cstring() };
      break;
    case 'I':
      out = { kind: 'emptyQueryResponse' };
      break;
    case 's':
      out = { kind: 'portalSuspended' };
      break;
    default:
      return { kind: 'other', type: m.type };
  }
  c.end();
  return out;
}

function parseAuthentication(c: WireCursor): AuthenticationMessage {
  const code = c.int32();
  switch (code) {
    case 0:
      return { code, kind: 'ok' };
    case 3:
      return { code, kind: 'cleartextPassword' };
    case 5: // AuthenticationMD5Password: Int32 5 | Byte4 salt
      return { code, kind: 'md5Password', salt: Buffer.from(c.bytes(4)) };
    case 10: {
      // AuthenticationSASL: Int32 10 | String mechanism* | Byte1 0
      const mechanisms: string[] = [];
      for (let m = c.cstring(); m !== ''; m = c.cstring()) mechanisms.push(m);
      return { code, kind: 'sasl', mechanisms };
    }
    case 11: // AuthenticationSASLContinue: Int32 11 | Byten data
      return { code, kind: 'saslContinue', data: Buffer.from(c.rest()) };
    case 12: // AuthenticationSASLFinal: Int32 12 | Byten data
      return { code, kind: 'saslFinal', data: Buffer.from(c.rest()) };
    default:
      return { code, kind: 'unsupported' };
  }
}

function parseFields(c: WireCursor): ErrorFields {
  const all: Record<string, string> = {};
  for (let t = c.byte(); t !== 0; t = c.byte()) all[String.fromCharCode(t)] = c.cstring();
  const out: ErrorFields = { severity: all.S ?? all.V ?? '', code: all.C ?? '', message: all.M ?? '', all };
  if (all.D !== undefined) out.detail = all.D;
  if (all.H !== undefined) out.hint = all.H;
  return out;
}

function fieldsMessage(type: 'E' | 'N', f: ErrorFields): Buffer {
  const w = new WireWriter();
  // 'S' is the localized severity, 'V' (9.6+) the untranslated one; clients read either.
  w.byte(0x53).cstring(f.severity).byte(0x56).cstring(f.severity);
  w.byte(0x43).cstring(f.code).byte(0x4d).cstring(f.message);
  if (f.detail !== undefined) w.byte(0x44).cstring(f.detail);
  if (f.hint !== undefined) w.byte(0x48).cstring(f.hint);
  return w.byte(0).typed(type);
}

/** Serializers of backend messages the proxy writes itself. */
export const backend = {
  /** ErrorResponse 'E': S, V, C, M, then D and H when given, then a 0 byte. */
  errorResponse: (f: ErrorFields): Buffer => fieldsMessage('E', f),
  /** NoticeResponse 'N': same layout as ErrorResponse. */
  noticeResponse: (f: ErrorFields): Buffer => fieldsMessage('N', f),
  /** AuthenticationOk: 'R' | Int32 8 | Int32 0. */
  authenticationOk: (): Buffer => new WireWriter().int32(0).typed('R'),
  /** AuthenticationCleartextPassword: 'R' | Int32 8 | Int32 3. */
  authenticationCleartextPassword: (): Buffer => new WireWriter().int32(3).typed('R'),
  /** AuthenticationMD5Password: 'R' | Int32 12 | Int32 5 | Byte4 salt. */
  authenticationMD5Password: (salt: Buffer): Buffer => {
    if (salt.length !== 4) throw new BadParameterError('an MD5 salt is 4 bytes');
    return new WireWriter().int32(5).bytes(salt).typed('R');
  },
  /** AuthenticationSASL: 'R' | Int32 len | Int32 10 | String mechanism* | Byte1 0. */
  authenticationSASL: (mechanisms: string[]): Buffer => {
    const w = new WireWriter().int32(10);
    for (const m of mechanisms) w.cstring(m);
    return w.byte(0).typed('R');
  },
  /** AuthenticationSASLContinue: 'R' | Int32 len | Int32 11 | Byten data. */
  authenticationSASLContinue: (data: Buffer): Buffer => new WireWriter().int32(11).bytes(data).typed('R'),
  /** AuthenticationSASLFinal: 'R' | Int32 len | Int32 12 | Byten data. */
  authenticationSASLFinal: (data: Buffer): Buffer => new WireWriter().int32(12).bytes(data).typed('R'),
  /** ParameterStatus 'S': String name | String value. */
  parameterStatus: (name: string, value: string): Buffer => new WireWriter().cstring(name).cstring(value).typed('S'),
  /** BackendKeyData 'K': Int32 process ID | Int32 secret key. */
  backendKeyData: (processId: number, secretKey: number): Buffer => new WireWriter().int32(processId).int32(secretKey).typed('K'),
  /** ReadyForQuery 'Z': Byte1 'I' | 'T' | 'E'. */
  readyForQuery: (status: 'I' | 'T' | 'E' = 'I'): Buffer => new WireWriter().byte(status.charCodeAt(0)).typed('Z'),
  /** CommandComplete 'C': String tag. */
  commandComplete: (tag: string): Buffer => new WireWriter().cstring(tag).typed('C'),
  /** NegotiateProtocolVersion 'v': Int32 newest minor version supported | Int32 n | String option[n] (not recognized). */
  negotiateProtocolVersion: (minor: number, unrecognized: string[]): Buffer => {
    const w = new WireWriter().int32(minor).int32(unrecognized.length);
    for (const o of unrecognized) w.cstring(o);
    return w.typed('v');
  },
};
