/**
 * @module srv/db/mysql/stmtExecute
 * COM_STMT_EXECUTE as a pure codec, with the binary-protocol parameter values rendered as text for
 * the audit log:
 *
 * ```
 * int<1>  0x17
 * int<4>  statement id (MariaDB: 0xFFFFFFFF = the statement prepared last)
 * int<1>  flags (cursor type)
 * int<4>  iteration count (always 1)
 * if num_params > 0:
 *   byte[(num_params + 7) / 8]  NULL bitmap
 *   int<1>  new-params-bound flag
 *   if 1: int<2>[num_params] types (low byte: type; high byte 0x80: unsigned)
 *   values, in the binary protocol encoding of each non-NULL parameter's type
 * ```
 *
 * The statement's parameter count comes from COM_STMT_PREPARE_OK; when the flag is 0 the types are
 * the ones bound by the previous execution of the statement.
 */
import { MySQLProtocolError, PayloadReader, PayloadWriter } from './packets.ts';
import { Command } from './messages.ts';

/** Column/parameter types (MYSQL_TYPE_*). */
export const FieldType = {
  DECIMAL: 0x00,
  TINY: 0x01,
  SHORT: 0x02,
  LONG: 0x03,
  FLOAT: 0x04,
  DOUBLE: 0x05,
  NULL: 0x06,
  TIMESTAMP: 0x07,
  LONGLONG: 0x08,
  INT24: 0x09,
  DATE: 0x0a,
  TIME: 0x0b,
  DATETIME: 0x0c,
  YEAR: 0x0d,
  NEWDATE: 0x0e,
  VARCHAR: 0x0f,
  BIT: 0x10,
  JSON: 0xf5,
  NEWDECIMAL: 0xf6,
  ENUM: 0xf7,
  SET: 0xf8,
  TINY_BLOB: 0xf9,
  MEDIUM_BLOB: 0xfa,
  LONG_BLOB: 0xfb,
  BLOB: 0xfc,
  VAR_STRING: 0xfd,
  STRING: 0xfe,
  GEOMETRY: 0xff,
} as const;

/** A parameter's type as bound: the type byte and the unsigned flag. */
export interface ParamType {
  type: number;
  unsigned: boolean;
}

/** A decoded COM_STMT_EXECUTE. */
export interface StmtExecute {
  statementId: number;
  flags: number;
  iterations: number;
  /** True when the packet carried parameter types. */
  newParamsBound: boolean;
  /** The types in effect for this execution (sent now or bound before). */
  types: ParamType[];
  /** Each parameter rendered as text; null for SQL NULL. */
  parameters: (string | null)[];
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function readDateTime(r: PayloadReader, type: number): string {
  const len = r.u8();
  if (len === 0) return type === FieldType.DATE ? '0000-00-00' : '0000-00-00 00:00:00';
  const b = new PayloadReader(r.bytes(len));
  const date = `${pad(b.u16(), 4)}-${pad(b.u8())}-${pad(b.u8())}`;
  if (len < 7) return type === FieldType.DATE ? date : `${date} 00:00:00`;
  const time = `${pad(b.u8())}:${pad(b.u8())}:${pad(b.u8())}`;
  const micro = len >= 11 ? b.u32() : 0;
  return `${date} ${time}${micro ? `.${pad(micro, 6)}` : ''}`;
}

function readTime(r: PayloadReader): string {
  const len = r.u8();
  if (len === 0) return '00:00:00';
  const b = new PayloadReader(r.bytes(len));
  const negative = b.u8() === 1;
  const days = b.u32();
  const hours = days * 24 + b.u8();
  const time = `${negative ? '-' : ''}${pad(hours)}:${pad(b.u8())}:${pad(b.u8())}`;
  const micro = len >= 12 ? b.u32() : 0;
  return micro ? `${time}.${pad(micro, 6)}` : time;
}

/** Reads one binary-protocol value of `t` and renders it as text. */
function readValue(r: PayloadReader, t: ParamType): string {
  switch (t.type) {
    case FieldType.NULL:
      return 'NULL';
    case FieldType.TINY: {
      const v = r.u8();
      return String(t.unsigned ? v : (v << 24) >> 24);
    }
    case FieldType.SHORT:
    case FieldType.YEAR: {
      const v = r.u16();
      return String(t.unsigned ? v : (v << 16) >> 16);
    }
    case FieldType.LONG:
    case FieldType.INT24: {
      const v = r.u32();
      return String(t.unsigned ? v : v | 0);
    }
    case FieldType.LONGLONG: {
      const v = r.u64();
      return String(t.unsigned ? v : BigInt.asIntN(64, v));
    }
    case FieldType.FLOAT:
      return String(Math.fround(r.bytes(4).readFloatLE(0)));
    case FieldType.DOUBLE:
      return String(r.bytes(8).readDoubleLE(0));
    case FieldType.DATE:
    case FieldType.DATETIME:
    case FieldType.TIMESTAMP:
      return readDateTime(r, t.type);
    case FieldType.TIME:
      return readTime(r);
    default:
      // Strings, decimals, blobs, JSON, enums, bits, geometry: length-encoded bytes.
      return r.lenencBytes().toString('utf8');
  }
}

/**
 * Parses COM_STMT_EXECUTE. `numParams` is the statement's parameter count (COM_STMT_PREPARE_OK) and
 * `boundTypes` the types of its previous execution (used when the new-params-bound flag is 0).
 * Parameters sent earlier with COM_STMT_SEND_LONG_DATA are rendered as "<long data>".
 */
export function parseStmtExecute(payload: Buffer, numParams: number, boundTypes: ParamType[] = [], longData: ReadonlySet<number> = new Set()): StmtExecute {
  const r = new PayloadReader(payload);
  if (r.u8() !== Command.STMT_EXECUTE) throw new MySQLProtocolError('not a COM_STMT_EXECUTE packet');
  const statementId = r.u32();
  const flags = r.u8();
  const iterations = r.u32();
  if (numParams === 0) return { statementId, flags, iterations, newParamsBound: false, types: [], parameters: [] };
  const nullBitmap = r.bytes((numParams + 7) >> 3);
  const newParamsBound = r.u8() === 1;
  let types = boundTypes;
  if (newParamsBound) {
    types = [];
    for (let i = 0; i < numParams; i++) {
      const type = r.u8();
      types.push({ type, unsigned: (r.u8() & 0x80) !== 0 });
    }
  }
  if (types.length !== numParams) {
    throw new MySQLProtocolError(`COM_STMT_EXECUTE for statement ${statementId} has no parameter types bound`);
  }
  const parameters: (string | null)[] = [];
  for (let i = 0; i < numParams; i++) {
    if (((nullBitmap[i >> 3] as number) >> (i & 7)) & 1) parameters.push(null);
    else if (longData.has(i)) parameters.push('<long data>');
    else parameters.push(readValue(r, types[i] as ParamType));
  }
  return { statementId, flags, iterations, newParamsBound, types, parameters };
}

/** A parameter value for {@link encodeStmtExecute}: typed the way client libraries bind JS values. */
export type ExecuteValue = null | string | number | bigint | Date;

/** Encodes COM_STMT_EXECUTE with freshly bound types (for tests and clients). */
export function encodeStmtExecute(statementId: number, values: ExecuteValue[]): Buffer {
  const w = new PayloadWriter().u8(Command.STMT_EXECUTE).u32(statementId).u8(0).u32(1);
  if (values.length === 0) return w.build();
  const bitmap = Buffer.alloc((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v === null) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  });
  w.bytes(bitmap).u8(1);
  const body = new PayloadWriter();
  for (const v of values) {
    if (v === null) w.u8(FieldType.NULL).u8(0);
    else if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) {
      w.u8(FieldType.LONGLONG).u8(0);
      body.u64(BigInt.asUintN(64, BigInt(v)));
    } else if (typeof v === 'number') {
      w.u8(FieldType.DOUBLE).u8(0);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      body.bytes(b);
    } else if (v instanceof Date) {
      w.u8(FieldType.DATETIME).u8(0);
      body.u8(11).u16(v.getUTCFullYear()).u8(v.getUTCMonth() + 1).u8(v.getUTCDate());
      body.u8(v.getUTCHours()).u8(v.getUTCMinutes()).u8(v.getUTCSeconds()).u32(v.getUTCMilliseconds() * 1000);
    } else {
      w.u8(FieldType.VAR_STRING).u8(0);
      body.lenencString(v);
    }
  }
  return w.bytes(body.build()).build();
}
