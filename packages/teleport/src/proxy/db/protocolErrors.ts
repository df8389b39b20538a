/**
 * @module proxy/db/protocolErrors
 * The two error messages the proxy itself sends database clients, so a refusal reads like any
 * database error in psql or mysql instead of a dropped connection. Pure encoders, no I/O.
 * (The protocol codecs of srv/db/ own the full message sets; these two are all the proxy needs.)
 */
import type { DatabaseProtocol } from '../../srv/db/common/engine.ts';

/**
 * PostgreSQL ErrorResponse (backend 'E'): `byte 'E' | int32 length | { byte field | cstring }* | 0`,
 * with severity S/V = FATAL, SQLSTATE C and message M.
 * SQLSTATE 28000 (invalid_authorization_specification) for refusals, 08006 for connection failures.
 */
export function postgresErrorResponse(message: string, sqlState = '28000'): Buffer {
  const field = (code: string, value: string): Buffer => Buffer.concat([Buffer.from(code, 'ascii'), Buffer.from(value.replaceAll('\0', ''), 'utf8'), Buffer.alloc(1)]);
  const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlState), field('M', message), Buffer.alloc(1)]);
  const head = Buffer.alloc(5);
  head.write('E', 0, 'ascii');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/**
 * MySQL ERR packet: `int<3> length | int<1> sequence id` then `0xff | int<2> error code (LE) |
 * '#' | sqlstate[5] | message`. Error 1045 (ER_ACCESS_DENIED_ERROR, 28000) for refusals, 2013-style
 * connection failures use 1105 (ER_UNKNOWN_ERROR, HY000).
 */
export function mysqlErrPacket(message: string, sequenceId: number, code = 1045, sqlState = '28000'): Buffer {
  const msg = Buffer.from(message, 'utf8').subarray(0, 0xffffff - 9);
  const payload = Buffer.concat([Buffer.from([0xff, code & 0xff, (code >> 8) & 0xff]), Buffer.from(`#${sqlState.padEnd(5, '0').slice(0, 5)}`, 'ascii'), msg]);
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head.writeUInt8(sequenceId & 0xff, 3);
  return Buffer.concat([head, payload]);
}

/** What kind of failure a message reports; picks the SQLSTATE / error code. */
export type RefusalKind = 'access' | 'unavailable';

/**
 * The error message for `protocol`. For MySQL, `mysqlSequenceId` is the id the client expects next:
 * 0 when it is waiting for the greeting (ALPN routes), 3 after HandshakeResponse41 on the dedicated
 * listener (greeting 0, SSLRequest 1, response 2).
 */
export function protocolError(protocol: DatabaseProtocol, message: string, opts: { kind?: RefusalKind; mysqlSequenceId?: number } = {}): Buffer {
  const unavailable = opts.kind === 'unavailable';
  return protocol === 'postgres'
    ? postgresErrorResponse(message, unavailable ? '08006' : '28000')
    : mysqlErrPacket(message, opts.mysqlSequenceId ?? 0, unavailable ? 1105 : 1045, unavailable ? 'HY000' : '28000');
}
