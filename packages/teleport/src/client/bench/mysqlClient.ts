/**
 * @module client/bench/mysqlClient
 * The smallest MySQL client `tsh bench mysql` needs, over a plaintext stream such as the local
 * proxy's: read the server's greeting, answer with a HandshakeResponse41 without SSL and with an
 * empty mysql_native_password response (behind Teleport the certificate authenticates), then
 * COM_QUERY with its response read to the end, and COM_QUIT. The server-side codec in srv/db/mysql
 * is not imported: tsh may not depend on server code (eslint layering rule).
 *
 * Packets: int24 payload length (LE), int8 sequence id, payload. Responses start with 0x00 (OK),
 * 0xff (ERR) or a column count; a result set is column definitions, EOF, rows, EOF (0xfe, shorter
 * than 9 bytes), since the client does not ask for CLIENT_DEPRECATE_EOF.
 */
import type { Duplex } from 'node:stream';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';
import { WireReader } from './wireReader.ts';

/** Capability flags this client uses. */
export const Cap = {
  LONG_PASSWORD: 0x1,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  PROTOCOL_41: 0x200,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_RESULTS: 0x20000,
  PLUGIN_AUTH: 0x80000,
} as const;

const SERVER_MORE_RESULTS_EXISTS = 0x0008;
const CHARSET_UTF8MB4_GENERAL_CI = 45;
const NATIVE_PASSWORD = 'mysql_native_password';
const MAX_PACKET = 0xffffff;

/** One packet. */
interface Packet {
  seq: number;
  payload: Buffer;
}

/** "ERROR 1045 (28000): message" from an ERR packet's payload. */
export function errText(p: Buffer): string {
  const code = p.length >= 3 ? p.readUInt16LE(1) : 0;
  const hasState = p[3] === 0x23; // '#'
  const state = hasState ? p.toString('latin1', 4, 9) : '';
  return `ERROR ${code}${state ? ` (${state})` : ''}: ${p.toString('utf8', hasState ? 9 : 3)}`;
}

/** A length-encoded integer at `off`: its value and size. */
export function readLenenc(p: Buffer, off: number): { value: number; size: number } {
  const b = p[off] ?? 0;
  if (b < 0xfb) return { value: b, size: 1 };
  if (b === 0xfc) return { value: p.readUInt16LE(off + 1), size: 3 };
  if (b === 0xfd) return { value: p.readUIntLE(off + 1, 3), size: 4 };
  if (b === 0xfe) return { value: Number(p.readBigUInt64LE(off + 1)), size: 9 };
  return { value: 0, size: 1 }; // 0xfb: NULL
}

/** The server capabilities announced in a protocol-10 greeting. */
export function greetingCapabilities(p: Buffer): number {
  if (p[0] === 0xff) throw new AccessDeniedError(`the MySQL server refused the connection: ${errText(p)}`);
  if (p[0] !== 10) throw new BadParameterError(`unsupported MySQL protocol version ${p[0]}`);
  let off = p.indexOf(0, 1) + 1; // server version
  off += 4 + 8 + 1; // connection id, scramble part 1, filler
  const low = p.readUInt16LE(off);
  const high = p.length >= off + 7 ? p.readUInt16LE(off + 5) : 0; // after charset (1) and status (2)
  return (low | (high << 16)) >>> 0;
}

/** HandshakeResponse41 with an empty auth response. */
export function encodeHandshakeResponse(capabilities: number, user: string, database?: string): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(capabilities >>> 0, 0);
  head.writeUInt32LE(MAX_PACKET, 4);
  head[8] = CHARSET_UTF8MB4_GENERAL_CI;
  const parts = [head, Buffer.from(`${user}\0`, 'utf8'), Buffer.from([0])]; // 1-byte length 0: no password
  if (database && capabilities & Cap.CONNECT_WITH_DB) parts.push(Buffer.from(`${database}\0`, 'utf8'));
  if (capabilities & Cap.PLUGIN_AUTH) parts.push(Buffer.from(`${NATIVE_PASSWORD}\0`, 'latin1'));
  return Buffer.concat(parts);
}

/** A connected MySQL session (see the module comment). */
export class MySQLConnection {
  private constructor(private readonly stream: Duplex, private readonly reader: WireReader) {}

  private async read(): Promise<Packet> {
    let payload = Buffer.alloc(0);
    for (;;) {
      const head = await this.reader.read(4);
      const len = head.readUIntLE(0, 3);
      payload = Buffer.concat([payload, await this.reader.read(len)]);
      if (len < MAX_PACKET) return { seq: head[3] as number, payload };
    }
  }

  private write(seq: number, payload: Buffer): void {
    const head = Buffer.alloc(4);
    head.writeUIntLE(payload.length, 0, 3);
    head[3] = seq & 0xff;
    this.stream.write(Buffer.concat([head, payload]));
  }

  /** Does the connection phase on `stream` as `user` (and `database`). */
  static async connect(stream: Duplex, opts: { user: string; database?: string }): Promise<MySQLConnection> {
    const conn = new MySQLConnection(stream, new WireReader(stream, 'the MySQL server'));
    try {
      const greeting = await conn.read();
      const wanted = Cap.LONG_PASSWORD | Cap.LONG_FLAG | Cap.PROTOCOL_41 | Cap.TRANSACTIONS | Cap.SECURE_CONNECTION |
        Cap.MULTI_RESULTS | Cap.PLUGIN_AUTH | (opts.database ? Cap.CONNECT_WITH_DB : 0);
      const caps = (greetingCapabilities(greeting.payload) & wanted) >>> 0;
      if (!(caps & Cap.PROTOCOL_41)) throw new BadParameterError('the MySQL server does not speak protocol 4.1');
      conn.write(greeting.seq + 1, encodeHandshakeResponse(caps, opts.user, opts.database));
      for (;;) {
        const p = await conn.read();
        const kind = p.payload[0];
        if (kind === 0x00) return conn;
        if (kind === 0xff) throw new AccessDeniedError(`the database refused the connection: ${errText(p.payload)}`);
        if (kind === 0xfe) conn.write(p.seq + 1, Buffer.alloc(0)); // auth switch: answer with an empty password
        // 0x01 AuthMoreData (e.g. caching_sha2 fast auth success): the OK follows.
      }
    } catch (err) {
      stream.destroy();
      throw err;
    }
  }

  /** Runs `sql` with COM_QUERY and reads every result; rejects on an ERR packet. */
  async query(sql: string): Promise<void> {
    this.write(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(sql, 'utf8')]));
    for (;;) {
      const first = (await this.read()).payload;
      let status: number;
      if (first[0] === 0xff) throw new BadParameterError(errText(first));
      if (first[0] === 0x00) {
        const rows = readLenenc(first, 1);
        const id = readLenenc(first, 1 + rows.size);
        status = first.readUInt16LE(1 + rows.size + id.size);
      } else {
        status = await this.readResultSet();
      }
      if (!(status & SERVER_MORE_RESULTS_EXISTS)) return;
    }
  }

  /** Reads column definitions, EOF, rows, EOF; returns the final status flags. */
  private async readResultSet(): Promise<number> {
    let eofs = 0;
    for (;;) {
      const p = (await this.read()).payload;
      if (p[0] === 0xff) throw new BadParameterError(errText(p));
      if (p[0] === 0xfe && p.length < 9) {
        if (++eofs === 2) return p.length >= 5 ? p.readUInt16LE(3) : 0;
      }
    }
  }

  /** Sends COM_QUIT and closes the stream. */
  close(): void {
    if (this.stream.destroyed) return;
    this.write(0, Buffer.from([0x01]));
    this.stream.end();
  }
}
