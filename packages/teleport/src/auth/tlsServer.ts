/**
 * @module auth/tlsServer
 * The auth service listener (default 3025): HTTP/2 over mutual TLS serving the AuthService RPCs.
 * The server certificate comes from the host CA; client certificates must chain to the user or the
 * host CA. That is enforced per call, not by dropping the handshake: every RPC is authorized from the
 * verified certificate by Authorizer.fromSocket, which refuses unverified or missing certificates.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { mtlsServerOptions } from '../ca/tlsConfig.ts';
import { registerAuthService, peerContextValues } from './grpcService.ts';
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
  const handler = connectNodeAdapter({
    routes: (router) => registerAuthService(router, opts.auth, opts.logger),
    contextValues: (req) => peerContextValues(req as never),
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
    handler,
  );
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
