/**
 * @module srv/db/refusal
 * Refusing a client before any engine runs (bad certificate, wrong database): the client must see
 * the protocol's own error, not a dropped connection, so psql prints "FATAL: ..." and mysql prints
 * "ERROR 1045 ...". PostgreSQL: an ErrorResponse (SQLSTATE 28000) after the client's startup
 * message. MySQL: an ERR packet (1045, 28000) as the first packet when we would send the greeting,
 * or after the client's HandshakeResponse when the proxy already sent the greeting.
 */
import type { Duplex } from 'node:stream';
import { backend, SQLSTATE } from './postgres/protocol.ts';
import { encodeERR, encodePacket } from './mysql/protocol.ts';
import type { DatabaseSessionHeader } from './common/engine.ts';

/** MySQL ER_ACCESS_DENIED_ERROR. */
const ER_ACCESS_DENIED = 1045;

/** Resolves when the client has sent something (its first message) or after `ms`. */
function firstData(stream: Duplex, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stream.off('data', done);
      stream.off('end', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stream.once('data', done);
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}

/** The bytes of a refusal in the client's protocol. */
export function refusalBytes(header: Pick<DatabaseSessionHeader, 'protocol' | 'mysql'>, message: string): Buffer {
  if (header.protocol === 'mysql') {
    // Greeting already sent by the proxy: client SSLRequest was 1, HandshakeResponse 2, our answer 3.
    const seq = header.mysql ? 3 : 0;
    return encodePacket(seq, encodeERR({ code: ER_ACCESS_DENIED, sqlState: SQLSTATE.invalidAuthorization, message }));
  }
  return backend.errorResponse({ severity: 'FATAL', code: SQLSTATE.invalidAuthorization, message });
}

/** Sends the client the protocol's error for `message` and closes the stream. */
export async function refuseClient(
  stream: Duplex, header: Pick<DatabaseSessionHeader, 'protocol' | 'mysql'>, message: string, waitMs = 5_000,
): Promise<void> {
  // PostgreSQL clients and MySQL clients answering a greeting speak first; answer them in turn.
  if (header.protocol === 'postgres' || header.mysql) await firstData(stream, waitMs);
  if (stream.destroyed || !stream.writable) return;
  stream.end(refusalBytes(header, message));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    stream.once('finish', () => (clearTimeout(timer), resolve()));
    stream.once('close', () => (clearTimeout(timer), resolve()));
  });
  stream.destroy();
}
