/**
 * @module proxy/web/webServer
 * The proxy's web port (default 3080): the HTTPS web API and the web UI (static.ts, under /web). Uses
 * the configured `https_keypairs` or a self-signed certificate kept in the data dir. With
 * `onTunnelConnection`, connections that negotiate the TLS ALPN protocol `teleport-reversetunnel`
 * (agents dialling in through the web port) are handed to the reverse-tunnel server instead.
 *
 * The port itself is a plain TCP listener running the first-bytes multiplexer (proxy/db/multiplexer):
 * with `database` handlers, PostgreSQL requests and TLS ClientHellos offering a database ALPN
 * protocol go to database access; everything else is handed to the HTTPS server
 * (`emit('connection')`), which never listens itself.
 */
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError } from '@teleport-ts/api/errors';
import { WebAPIPaths } from '@teleport-ts/api/webapi';
import type { Duplex } from 'node:stream';
import { Router, type Handler } from './router.ts';
import { RateLimiter, CREDENTIAL_RATE_LIMIT } from './rateLimiter.ts';
import { systemClock } from '@teleport-ts/api/clock';
import { handleAuthTunnelUpgrade } from './authTunnel.ts';
import { ALPN_REVERSE_TUNNEL } from '../../reversetunnel/constants.ts';
import { sendError, sendJSON, sendMethodNotAllowed } from './http.ts';
import type { WebContext } from './handlers/context.ts';
import { pingHandler } from './handlers/ping.ts';
import { getPasswordTokenHandler, putPasswordTokenHandler } from './handlers/passwordToken.ts';
import { sshCertsHandler } from './handlers/sshCerts.ts';
import { addWebUIRoutes } from './apiRoutes.ts';
import { webSessionsOf } from './webSession.ts';
import { StaticUI } from './static.ts';
import { newMultiplexer, type MultiplexerHandlers } from '../db/multiplexer.ts';

/** A running web listener. */
export interface WebServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Builds the route table. */
export function buildRouter(ctx: WebContext): Router {
  const limiter = ctx.credentialLimiter ?? new RateLimiter(CREDENTIAL_RATE_LIMIT, systemClock);
  // Endpoints that take passwords, OTP codes or invite tokens are limited per client address.
  const limited = (h: Handler): Handler => async (req, res, params) => {
    limiter.take(req.socket.remoteAddress ?? 'unknown');
    await h(req, res, params);
  };
  const router = new Router()
    .add('GET', WebAPIPaths.ping, pingHandler(ctx))
    .add('GET', `${WebAPIPaths.passwordToken}/:token`, limited(getPasswordTokenHandler(ctx)))
    .add('PUT', WebAPIPaths.passwordToken, limited(putPasswordTokenHandler(ctx)))
    .add('POST', WebAPIPaths.sshCerts, limited(sshCertsHandler(ctx)))
    .add('GET', '/healthz', async (_req, res) => sendJSON(res, 200, { status: 'ok' }));
  addWebUIRoutes(router, ctx, limited);
  // The built UI under /web/* (and / -> /web), registered last so every route above wins.
  return new StaticUI().register(router);
}

/** Starts the HTTPS server. */
export async function startWebServer(opts: {
  ctx: WebContext;
  listenAddr: { host: string; port: number };
  certPEM: string;
  keyPEM: string;
  /** Where the auth tunnel leads; absent disables it. */
  authAddr?: { host: string; port: number };
  /** Takes TLS connections that negotiated ALPN `teleport-reversetunnel`; absent: not offered. */
  onTunnelConnection?: (socket: TLSSocket) => void;
  /** Database access on the web port (PostgreSQL requests, database ALPN); absent: all goes to HTTPS. */
  database?: Omit<MultiplexerHandlers, 'tls'>;
  /** How long a client may take to send its first bytes (default 10 s). */
  peekTimeoutMs?: number;
  /**
   * Upgrade (WebSocket) endpoints besides the auth tunnel, e.g. the web terminal
   * (proxy/web/terminal/terminalServer.ts): the first whose `matches` accepts the path handles it;
   * `close` runs when the server closes.
   */
  upgrades?: Array<{ matches(pathname: string): boolean; handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void; close?(): void }>;
}): Promise<WebServer> {
  const router = buildRouter(opts.ctx);
  const logger = opts.ctx.logger;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'https://proxy');
      const m = router.match(req.method ?? 'GET', url.pathname);
      if (!m) throw new NotFoundError(`no such endpoint: ${req.method} ${url.pathname}`);
      if ('allowed' in m) {
        sendMethodNotAllowed(res, req.method ?? '', url.pathname, m.allowed);
        return;
      }
      await m.handler(req, res, m.params);
    } catch (err) {
      sendError(res, err, logger);
    }
  };
  const onTunnel = opts.onTunnelConnection;
  const server = https.createServer({
    cert: opts.certPEM, key: opts.keyPEM, minVersion: 'TLSv1.2',
    ALPNProtocols: onTunnel ? [ALPN_REVERSE_TUNNEL, 'http/1.1'] : ['http/1.1'],
  }, (req, res) => void handle(req, res));
  const tunnelSockets = new Set<TLSSocket>();
  if (onTunnel) {
    // node:https serves every 'secureConnection' with its HTTP parser (the one listener there). Stand
    // in front of it: tunnel sockets go to the tunnel server, all others to the parser unchanged.
    const httpListeners = server.listeners('secureConnection') as Array<(socket: TLSSocket) => void>;
    server.removeAllListeners('secureConnection');
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol !== ALPN_REVERSE_TUNNEL) {
        for (const l of httpListeners) l.call(server, socket);
        return;
      }
      tunnelSockets.add(socket);
      socket.once('close', () => tunnelSockets.delete(socket));
      onTunnel(socket);
    });
  }
  const upgrades = opts.upgrades ?? [];
  if (opts.authAddr || upgrades.length > 0) {
    const authAddr = opts.authAddr;
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const pathname = (req.url ?? '/').split('?')[0] ?? '/';
      const endpoint = upgrades.find((u) => u.matches(pathname));
      if (endpoint) endpoint.handleUpgrade(req, socket, head);
      else if (authAddr) handleAuthTunnelUpgrade(req, socket, head, { authAddr, logger });
      else socket.destroy();
    });
  }
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  // noDelay: the web port also carries PostgreSQL, ALPN-routed databases and tunnels.
  const listener = net.createServer({ noDelay: true }, newMultiplexer({
    handlers: { ...opts.database, tls: (socket) => server.emit('connection', socket) },
    ...(opts.peekTimeoutMs !== undefined && { peekTimeoutMs: opts.peekTimeoutMs }),
    logger,
  }));
  const sockets = new Set<net.Socket>();
  listener.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.listenAddr.port, opts.listenAddr.host, () => resolve());
  });
  // The HTTPS server never listens; 'listening' starts its connection tracking (headers and request
  // timeouts, closeIdleConnections), which node ties to that event.
  server.emit('listening');
  const a = listener.address() as AddressInfo;
  logger.info({ addr: `${a.address}:${a.port}` }, 'web proxy is listening');
  return {
    address: { host: a.address, port: a.port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const u of upgrades) u.close?.();
        webSessionsOf(opts.ctx).close(); // the per-session connections to auth
        // Stops the timeout checks; its callback reports "not running", which is expected.
        server.close(() => undefined);
        listener.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          server.closeAllConnections();
          for (const socket of tunnelSockets) socket.destroy();
          // Whatever is left: clients still sending their first bytes, database connections.
          for (const socket of sockets) socket.destroy();
        }, 5000).unref();
      }),
  };
}
