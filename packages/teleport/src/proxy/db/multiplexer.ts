/**
 * @module proxy/db/multiplexer
 * The web port (3080) as a raw TCP listener that looks at the first bytes of each connection and
 * hands the socket, with those bytes put back unread, to the server that speaks its protocol:
 *
 * - a PostgreSQL SSLRequest / GSSENCRequest / StartupMessage (`int32 length | int32 code`) -> the
 *   PostgreSQL handshake, so plain psql works against 3080; a CancelRequest -> the cancel handler;
 * - a TLS ClientHello whose ALPN list offers `teleport-postgres` or `teleport-mysql` -> the database
 *   TLS server (client certificates from the user CA);
 * - every other TLS connection (`http/1.1`, `h2`, `teleport-reversetunnel`, no ALPN) and anything
 *   unrecognised -> the HTTPS server, exactly as if it had accepted the socket itself.
 *
 * The bytes are read (never more than a ClientHello), then pushed back with `unshift` on the paused
 * socket: node's TLS server replays a socket's buffered bytes into the TLS engine before reading the
 * handle, and the PostgreSQL handshake reads them like fresh data. Clients that send nothing within
 * `peekTimeoutMs` are dropped.
 */
import type { Socket } from 'node:net';
import type { DatabaseProtocol } from '../../srv/db/common/engine.ts';
import type { Logger } from '../../utils/logger.ts';
import { MAX_CLIENT_HELLO, TLS_HANDSHAKE_RECORD, parseClientHello } from './clientHello.ts';

/** TLS ALPN protocol names that route a connection on 3080 to database access. */
export const ALPN_DATABASE: Readonly<Record<string, DatabaseProtocol>> = {
  'teleport-postgres': 'postgres',
  'teleport-mysql': 'mysql',
};

/** PostgreSQL request codes in the second int32 of an 8- or 16-byte request (protocol.html "Message Formats"). */
const PG_SSL_REQUEST = 80877103; // 04 d2 16 2f
const PG_GSSENC_REQUEST = 80877104; // 04 d2 16 30
const PG_CANCEL_REQUEST = 80877102; // 04 d2 16 2e
const PG_PROTOCOL_3 = 196608; // 00 03 00 00: StartupMessage
/** Most bytes a StartupMessage may claim before we call it something else. */
const PG_MAX_STARTUP = 10_000;

/** Where a connection goes. */
export type Route =
  | { kind: 'postgres' }
  | { kind: 'postgres-cancel' }
  | { kind: 'db-tls'; protocol: DatabaseProtocol }
  | { kind: 'tls'; alpn: string[] }
  | { kind: 'other'; reason: string };

/** Decides from the first bytes; `undefined` means "read more". Pure. */
export function classify(data: Buffer): Route | undefined {
  if (data.length === 0) return undefined;
  if (data[0] === TLS_HANDSHAKE_RECORD) {
    const hello = parseClientHello(data);
    if (hello.kind === 'need-more') return undefined;
    if (hello.kind === 'not-tls') return { kind: 'other', reason: hello.reason };
    const db = hello.alpn.map((p) => ALPN_DATABASE[p]).find((p) => p !== undefined);
    return db ? { kind: 'db-tls', protocol: db } : { kind: 'tls', alpn: hello.alpn };
  }
  if (data[0] !== 0) return { kind: 'other', reason: `first byte 0x${data[0]?.toString(16).padStart(2, '0')}` };
  if (data.length < 8) return undefined;
  const length = data.readInt32BE(0);
  const code = data.readInt32BE(4);
  if (length === 8 && (code === PG_SSL_REQUEST || code === PG_GSSENC_REQUEST)) return { kind: 'postgres' };
  if (length === 16 && code === PG_CANCEL_REQUEST) return { kind: 'postgres-cancel' };
  if (code === PG_PROTOCOL_3 && length > 8 && length <= PG_MAX_STARTUP) return { kind: 'postgres' };
  return { kind: 'other', reason: 'not a PostgreSQL request' };
}

/** Where each kind of connection is handed. */
export interface MultiplexerHandlers {
  /** TLS that is not database access, and anything unrecognised (the HTTPS server). */
  tls(socket: Socket): void;
  /** A PostgreSQL SSLRequest/GSSENCRequest/StartupMessage; absent: those go to `tls`. */
  postgres?(socket: Socket): void;
  /** A PostgreSQL CancelRequest (plaintext, 16 bytes); absent: closed. */
  postgresCancel?(socket: Socket): void;
  /** A ClientHello offering a database ALPN protocol; absent: those go to `tls`. */
  databaseTLS?(socket: Socket, protocol: DatabaseProtocol): void;
}

/** Inputs of {@link newMultiplexer}. */
export interface MultiplexerOptions {
  handlers: MultiplexerHandlers;
  /** How long a client may take to send its first bytes (default 10 s). */
  peekTimeoutMs?: number;
  logger: Logger;
}

/** Default wait for a connection's first bytes. */
export const PEEK_TIMEOUT_MS = 10_000;

/**
 * Returns the connection listener of the web port: `net.createServer(newMultiplexer(...))`. Each
 * socket is classified and handed on once; it never reaches more than one handler.
 */
export function newMultiplexer(opts: MultiplexerOptions): (socket: Socket) => void {
  const { handlers, logger } = opts;
  const timeoutMs = opts.peekTimeoutMs ?? PEEK_TIMEOUT_MS;
  return (socket: Socket): void => {
    let buf: Buffer = Buffer.alloc(0);
    const onError = (): void => undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.pause();
      if (buf.length > 0) socket.unshift(buf);
    };
    const onData = (chunk: Buffer): void => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const route = buf.length > MAX_CLIENT_HELLO ? { kind: 'other' as const, reason: 'first bytes too long' } : classify(buf);
      if (!route) return;
      finish();
      dispatch(socket, route);
    };
    const onEnd = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(() => {
      logger.debug({ remote: socket.remoteAddress }, `web port client sent nothing recognisable within ${timeoutMs / 1000}s; closing`);
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    socket.on('error', onError);
    socket.on('data', onData);
    socket.once('end', onEnd);
  };

  function dispatch(socket: Socket, route: Route): void {
    switch (route.kind) {
      case 'postgres':
        if (handlers.postgres) return handlers.postgres(socket);
        break;
      case 'postgres-cancel':
        if (handlers.postgresCancel) return handlers.postgresCancel(socket);
        socket.destroy();
        return;
      case 'db-tls':
        if (handlers.databaseTLS) return handlers.databaseTLS(socket, route.protocol);
        break;
      case 'other':
        logger.debug({ remote: socket.remoteAddress, reason: route.reason }, 'unrecognised first bytes on the web port; handing to HTTPS');
        break;
      case 'tls':
        break;
    }
    handlers.tls(socket);
  }
}
