/**
 * @module auth/tlsServer
 * The auth service listener (default 3025): HTTP/2 over mutual TLS serving the AuthService RPCs.
 * The server certificate comes from the host CA; client certificates must chain to the user or the
 * host CA. That is enforced per call, not by dropping the handshake: every RPC is authorized from the
 * verified certificate by Authorizer.fromSocket, which refuses unverified or missing certificates.
 *
 * Plain unary calls are served straight from the HTTP/2 stream (auth/grpcUnary.ts); streaming calls
 * and anything unusual go through Connect's adapter, with the same handlers.
 */
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { AuthService } from '@teleport-ts/api/gen/teleport/auth/v1/auth_pb';
import { mtlsServerOptions } from '../ca/tlsConfig.ts';
import { authServiceHandlers, registerAuthService, peerContextValues } from './grpcService.ts';
import { unaryRoutes } from './grpcUnary.ts';
import type { AuthServer } from './authServer.ts';
import type { Logger } from '../utils/logger.ts';

/** A running auth listener. */
export interface AuthTLSServer {
  /** The bound address (useful with port 0). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Starts the auth API listener. */
export async function startAuthTLSServer(opts: {
  auth: AuthServer;
  listenAddr: { host: string; port: number };
  certPEM: string;
  keyPEM: string;
  logger: Logger;
}): Promise<AuthTLSServer> {
  const trustedCAs = await opts.auth.keyring.tlsCerts('host', 'user');
  const handlers = authServiceHandlers(opts.auth, opts.logger);
  const handler = connectNodeAdapter({
    routes: (router) => registerAuthService(router, handlers),
    contextValues: (req) => peerContextValues(req as never),
    // No gzip/brotli: the auth API carries small messages between hosts of one cluster, and compressing
    // every response (and decompressing it in the client) cost more CPU than issuing the certificates
    // it carries (docs/benchmarks.md). Clients then receive and send uncompressed messages.
    acceptCompression: [],
  });
  const server = http2.createSecureServer(
    {
      // Chains are still verified in the handshake, but a failed check does not drop the connection:
      // Node would destroy the socket without a TLS alert, and the client would only see a cancelled
      // stream. Every RPC instead goes through Authorizer.fromSocket, which refuses unverified peers
      // with an AccessDeniedError that says why (expired, foreign CA, none presented).
      ...mtlsServerOptions({ certPEM: opts.certPEM, keyPEM: opts.keyPEM, trustedCAs, requireClientCert: false }),
      allowHTTP1: false,
    },
  );
  const unary = unaryRoutes(AuthService, handlers, (stream) => peerContextValues({ stream }));
  // Node passes the raw header list as a fourth argument, which @types/node leaves out.
  server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, ...more: unknown[]) => {
    if (unary.get(headers[':path'] ?? '')?.tryServe(stream, headers)) return;
    // What Node's compatibility layer does for a 'request' listener (minus CONNECT and Expect, which
    // gRPC clients do not send): wrap the stream for Connect's adapter.
    const rawHeaders = Array.isArray(more[0]) ? (more[0] as string[]) : [];
    handler(new http2.Http2ServerRequest(stream, headers, {}, rawHeaders), new http2.Http2ServerResponse(stream));
  });
  // HTTP/2 sends many small frames (headers, data, trailers, window updates); with Nagle's algorithm
  // they wait for the peer's delayed ACK, which stalled agents' RPCs by ~40 ms (docs/benchmarks.md).
  server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('tlsClientError', (err) => opts.logger.debug({ err: err.message }, 'TLS handshake with auth client failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listenAddr.port, opts.listenAddr.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  opts.logger.info({ addr: `${a.address}:${a.port}` }, 'auth service is listening');
  return {
    address: { host: a.address, port: a.port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.close();
        server.close(() => resolve());
        // Sessions that do not finish in time are destroyed so shutdown is bounded.
        setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, 5000).unref();
      }),
  };
}
