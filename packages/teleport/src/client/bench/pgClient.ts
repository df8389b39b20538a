/**
 * @module client/bench/pgClient
 * The smallest PostgreSQL client `tsh bench postgres` needs: the startup message (protocol 3.0,
 * no password: behind Teleport the certificate authenticates), the simple-query protocol and
 * Terminate. It runs over a plaintext stream such as the local proxy's (the TLS to the proxy is the
 * local proxy's). The server-side codec in srv/db/postgres is not imported: tsh may not depend on
 * server code (eslint layering rule), and this needs three messages.
 *
 * Wire layout (every backend message): type byte, int32 length including itself, payload.
 * StartupMessage: int32 length, int32 196608, then name\0value\0 pairs and a final \0.
 * Query: 'Q', int32 length, SQL\0. Terminate: 'X', int32 4.
 */
import type { Duplex } from 'node:stream';
import { AccessDeniedError, BadParameterError } from '@teleport-ts/api/errors';
import { WireReader } from './wireReader.ts';

const PROTOCOL_3_0 = 196608;

/** The StartupMessage for `params` (user, database, application_name, ...). */
export function encodeStartup(params: Record<string, string>): Buffer {
  const body = Buffer.from(`${Object.entries(params).map(([k, v]) => `${k}\0${v}\0`).join('')}\0`, 'utf8');
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(out.length, 0);
  out.writeInt32BE(PROTOCOL_3_0, 4);
  body.copy(out, 8);
  return out;
}

/** A frontend message: type byte, int32 length, payload. */
export function encodeMessage(type: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/** The fields of an ErrorResponse ('E') or NoticeResponse ('N'), by field code ('M' message, 'C' SQLSTATE, ...). */
export function parseErrorFields(payload: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let i = 0;
  while (i < payload.length && payload[i] !== 0) {
    const code = String.fromCharCode(payload[i] as number);
    const end = payload.indexOf(0, i + 1);
    if (end < 0) break;
    fields[code] = payload.toString('utf8', i + 1, end);
    i = end + 1;
  }
  return fields;
}

function errorText(payload: Buffer): string {
  const f = parseErrorFields(payload);
  return `${f.S ?? 'ERROR'}: ${f.M ?? 'unknown error'}${f.C ? ` (SQLSTATE ${f.C})` : ''}`;
}

/** One backend message. */
interface BackendMessage {
  type: string;
  payload: Buffer;
}

/** A connected PostgreSQL session (see the module comment). */
export class PgConnection {
  private constructor(private readonly stream: Duplex, private readonly reader: WireReader) {}

  private async next(): Promise<BackendMessage> {
    const head = await this.reader.read(5);
    const len = head.readInt32BE(1);
    if (len < 4) throw new BadParameterError(`the server sent a malformed PostgreSQL message (length ${len})`);
    return { type: String.fromCharCode(head[0] as number), payload: await this.reader.read(len - 4) };
  }

  /** Reads until ReadyForQuery; rejects with the first ErrorResponse seen, if any. */
  private async untilReady(): Promise<void> {
    let failure: string | undefined;
    for (;;) {
      const m = await this.next();
      if (m.type === 'E') failure ??= errorText(m.payload);
      else if (m.type === 'Z') break;
    }
    if (failure) throw new BadParameterError(failure);
  }

  /** Sends the startup message on `stream` and waits until the server is ready for queries. */
  static async connect(stream: Duplex, opts: { user: string; database?: string; applicationName?: string }): Promise<PgConnection> {
    const reader = new WireReader(stream, 'the PostgreSQL server');
    const conn = new PgConnection(stream, reader);
    stream.write(encodeStartup({
      user: opts.user, ...(opts.database && { database: opts.database }), application_name: opts.applicationName ?? 'tsh bench',
    }));
    for (;;) {
      const m = await conn.next();
      if (m.type === 'E') {
        stream.destroy();
        throw new AccessDeniedError(`the database refused the connection: ${errorText(m.payload)}`);
      }
      if (m.type === 'R') {
        const code = m.payload.readInt32BE(0);
        if (code !== 0) {
          stream.destroy();
          throw new AccessDeniedError(`the server asked for a password (authentication method ${code}); tsh bench authenticates with the database certificate only`);
        }
      }
      if (m.type === 'Z') return conn;
    }
  }

  /** Runs `sql` with the simple-query protocol; resolves once the server is ready again, rejects on an ErrorResponse. */
  query(sql: string): Promise<void> {
    this.stream.write(encodeMessage('Q', Buffer.from(`${sql}\0`, 'utf8')));
    return this.untilReady();
  }

  /** Sends Terminate and closes the stream. */
  close(): void {
    if (!this.stream.destroyed) this.stream.end(encodeMessage('X'));
  }
}
