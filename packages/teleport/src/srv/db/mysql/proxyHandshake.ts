/**
 * @module srv/db/mysql/proxyHandshake
 * The proxy's side of MySQL's own TLS upgrade on the dedicated MySQL listener (3036). MySQL servers
 * speak first:
 *
 * ```
 * proxy  -> client  seq 0  initial handshake (CLIENT_SSL, random scramble)
 * client -> proxy   seq 1  SSLRequest (the 32-byte HandshakeResponse41 prefix with CLIENT_SSL)
 *                          ... TLS handshake on the same socket (client certificate required) ...
 * client -> proxy   seq 2  HandshakeResponse41, now inside TLS: read by the database service's engine
 * ```
 *
 * A client that answers with a full HandshakeResponse41 instead (no TLS) gets an ERR packet telling it
 * how to connect. The TLS upgrade itself is the caller's {@link UpgradeToTLS}, which must verify the
 * client certificate (dependencies.md "TLS trap").
 */
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { AccessDeniedError, BadParameterError, ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import type { AcceptedDatabaseClient, UpgradeToTLS } from '../common/engine.ts';
import { PacketStream } from './packetStream.ts';
import { encodeERR } from './messages.ts';
import { isSSLRequest } from './handshake.ts';
import { MySQLProtocolError } from './packets.ts';
import { DEFAULT_SERVER_VERSION, newScramble, ProxyError, proxyGreeting } from './greeting.ts';

/** What a client without TLS is told. */
export const TLS_REQUIRED_MESSAGE =
  "TLS with a client certificate is required: connect with 'tsh db connect' or the options from 'tsh db config'";

/** Largest packet accepted before TLS (an SSLRequest is 32 bytes; a HandshakeResponse41 is small). */
const PRE_TLS_MAX_PACKET = 16 * 1024;

/** Options of {@link mysqlProxyHandshake}. */
export interface MySQLProxyHandshakeOptions {
  /** Connection id announced in the greeting (passed on to the engine in the session header). */
  connectionId: number;
  /** Version string of the greeting; default "8.0.0-Teleport". */
  serverVersion?: string;
  /** Time allowed for the client's reply and the TLS handshake; default 30 s. */
  timeoutMs?: number;
}

function peerCertificatePEM(socket: TLSSocket): string {
  const cert = socket.getPeerCertificate(false);
  if (!cert || !cert.raw) throw new AccessDeniedError('the client presented no certificate: run tsh db login');
  return new X509Certificate(cert.raw).toString();
}

/**
 * Greets a client on the dedicated MySQL listener, upgrades it to TLS with `upgrade` when it sends an
 * SSLRequest, and returns the TLS stream with the client certificate and the greeting state the
 * engine needs. Rejects (after answering the client where the protocol allows) for a client without
 * TLS (AccessDeniedError), a malformed reply (BadParameterError), a refused certificate (whatever
 * `upgrade` rejects with) or a timeout (ConnectionProblemError); the socket is closed then.
 */
export async function mysqlProxyHandshake(socket: Duplex, upgrade: UpgradeToTLS, opts: MySQLProxyHandshakeOptions): Promise<AcceptedDatabaseClient> {
  const scramble = newScramble();
  const serverVersion = opts.serverVersion ?? DEFAULT_SERVER_VERSION;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const timer = setTimeout(() => socket.destroy(new ConnectionProblemError('MySQL client did not complete the handshake in time')), timeoutMs);
  // Errors surface through the reads below (and later through the TLS socket); this listener stays so
  // a reset of the raw socket never becomes an uncaught exception.
  socket.on('error', () => {});
  let answered = false;
  try {
    const ps = new PacketStream(socket, PRE_TLS_MAX_PACKET);
    ps.write(0, proxyGreeting({ connectionId: opts.connectionId, scramble, serverVersion, ssl: true }));
    let packet;
    try {
      packet = await ps.read();
    } catch (err) {
      if (err instanceof MySQLProtocolError) {
        ps.write(1, encodeERR({ ...ProxyError.protocol, message: `malformed MySQL handshake: ${err.message}` }));
        answered = true;
        throw new BadParameterError(`malformed MySQL handshake from client: ${err.message}`);
      }
      throw err;
    }
    if (!packet) throw new ConnectionProblemError('the MySQL client closed the connection before the handshake');
    if (!isSSLRequest(packet.payload)) {
      ps.write(packet.lastSeq + 1, encodeERR({ ...ProxyError.accessDenied, message: TLS_REQUIRED_MESSAGE }));
      answered = true;
      throw new AccessDeniedError(TLS_REQUIRED_MESSAGE);
    }
    const raw = ps.detach();
    let tlsSocket: TLSSocket;
    try {
      tlsSocket = await upgrade(raw);
    } catch (err) {
      socket.destroy();
      throw err;
    }
    if (!tlsSocket.authorized) {
      tlsSocket.destroy();
      throw new AccessDeniedError(`client certificate refused: ${errorMessage(tlsSocket.authorizationError ?? 'not authorized')}`);
    }
    return {
      stream: tlsSocket,
      clientCertPEM: peerCertificatePEM(tlsSocket),
      mysql: { scramble: scramble.toString('base64'), connection_id: opts.connectionId, server_version: serverVersion },
    };
  } catch (err) {
    if (answered) {
      // Let the ERR packet reach the client, then make sure the socket goes away.
      socket.end();
      setTimeout(() => socket.destroy(), 2_000).unref();
    } else {
      socket.destroy();
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
