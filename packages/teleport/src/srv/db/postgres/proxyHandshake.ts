/**
 * @module srv/db/postgres/proxyHandshake
 * The proxy's side of PostgreSQL's own TLS upgrade, on the dedicated `postgres_listen_addr` listener
 * (and on 3080 when the first-bytes multiplexer saw an SSLRequest):
 *
 *     client: SSLRequest      -> proxy: 'S', then TLS (client certificate from the user CA required)
 *     client: GSSENCRequest   -> proxy: 'N' (no GSSAPI encryption), the client then asks again
 *     client: StartupMessage / CancelRequest in the clear -> ErrorResponse 28000, connection closed
 *
 * Bytes the client sends after the SSLRequest without waiting for 'S' are the start of its TLS
 * ClientHello: they are put back into the socket before the TLS server takes it over.
 */
import { X509Certificate } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { AccessDeniedError, BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import type { AcceptedDatabaseClient, UpgradeToTLS } from '../common/engine.ts';
import { backend, SQLSTATE } from './backend.ts';
import { parseFrontendMessage } from './frontend.ts';
import { MessageReader } from './messageReader.ts';
import { MessageStream } from './messageStream.ts';
import { CancelRequestHandled } from './proxyCancel.ts';

/** What a client that skipped TLS is told. */
export const TLS_REQUIRED_MESSAGE =
  "TLS with a client certificate is required: connect with 'tsh db connect' or the options from 'tsh db config'";

/** Options of postgresProxyHandshake. */
export interface PostgresProxyHandshakeOptions {
  /**
   * Called for a CancelRequest sent without TLS (libpq < 17 sends them so; see proxyCancel.ts). The
   * connection is closed without an answer, as PostgreSQL does, and the handshake rejects with
   * CancelRequestHandled. Without this option such a request is refused like a plaintext startup.
   */
  onPlaintextCancel?: (processId: number, secretKey: number) => void | Promise<void>;
}

/**
 * Reads the client's first messages and upgrades the connection to TLS with a verified client
 * certificate. Resolves with the TLS stream and the certificate; rejects (after answering the client
 * and closing the socket) when the client does not ask for TLS, sends garbage, or `upgrade` refuses
 * the certificate.
 */
export async function postgresProxyHandshake(
  socket: Duplex,
  upgrade: UpgradeToTLS,
  options: PostgresProxyHandshakeOptions = {},
): Promise<AcceptedDatabaseClient> {
  const messages = new MessageStream(socket, new MessageReader({ startup: true }));
  let leftover: Buffer;
  try {
    for (;;) {
      const raw = await messages.next();
      if (!raw) throw new ConnectionProblemError('the PostgreSQL client closed the connection before asking for TLS');
      const msg = parseFrontendMessage(raw);
      if (msg.kind === 'gssEncRequest') {
        socket.write('N');
        continue;
      }
      if (msg.kind === 'sslRequest') break;
      if (msg.kind === 'cancelRequest' && options.onPlaintextCancel) {
        messages.release();
        socket.end();
        await options.onPlaintextCancel(msg.processId, msg.secretKey);
        throw new CancelRequestHandled(msg.processId, msg.secretKey);
      }
      socket.end(backend.errorResponse({ severity: 'FATAL', code: SQLSTATE.invalidAuthorization, message: TLS_REQUIRED_MESSAGE }));
      throw new AccessDeniedError(`PostgreSQL client sent a ${msg.kind === 'startup' ? 'StartupMessage' : 'CancelRequest'} without TLS: ${TLS_REQUIRED_MESSAGE}`);
    }
    leftover = messages.release();
  } catch (err) {
    messages.release();
    if (err instanceof CancelRequestHandled) throw err;
    if (err instanceof BadParameterError) {
      socket.end(backend.errorResponse({ severity: 'FATAL', code: SQLSTATE.protocolViolation, message: err.message }));
    } else if (!(err instanceof AccessDeniedError)) socket.destroy();
    throw err;
  }
  // The ClientHello may already be here: put it back so the TLS server reads it first.
  if (leftover.length > 0) socket.unshift(leftover);
  socket.write('S');
  let tlsSocket;
  try {
    tlsSocket = await upgrade(socket);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const peer = tlsSocket.getPeerCertificate();
  if (!tlsSocket.authorized || !peer?.raw) {
    tlsSocket.destroy();
    throw new AccessDeniedError('a client certificate issued by the cluster is required: run tsh db login');
  }
  return { stream: tlsSocket, clientCertPEM: new X509Certificate(peer.raw).toString() };
}
