/**
 * @module proxy/web/authTunnel
 * Reaching the auth API through the proxy's web port: an HTTP Upgrade on /v1/webapi/auth/tunnel
 * turns the connection into a raw byte pipe to the auth service. The client then runs mutual TLS with
 * its own certificate inside it, end to end with auth, so the proxy neither sees nor vouches for what
 * flows through (upstream exposes auth the same way through TLS routing). This is how tsh talks to
 * auth as the user, and how agents that can only see the proxy will reach auth.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../utils/logger.ts';

/** Path and Upgrade token of the tunnel. */
export const AUTH_TUNNEL_PATH = '/v1/webapi/auth/tunnel';
export const AUTH_TUNNEL_PROTOCOL = 'teleport-auth';

function reject(socket: Duplex, status: string, message: string): void {
  const body = JSON.stringify({ error: { code: 'bad_parameter', message } });
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Handles one `upgrade` event of the web server. */
export function handleAuthTunnelUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: { authAddr: { host: string; port: number }; logger: Logger },
): void {
  const url = new URL(req.url ?? '/', 'https://proxy');
  if (url.pathname !== AUTH_TUNNEL_PATH) return reject(socket, '404 Not Found', `no upgradable endpoint at ${url.pathname}`);
  if ((req.headers.upgrade ?? '').toLowerCase() !== AUTH_TUNNEL_PROTOCOL) {
    return reject(socket, '400 Bad Request', `expected "Upgrade: ${AUTH_TUNNEL_PROTOCOL}"`);
  }
  const upstream = net.connect(opts.authAddr.port, opts.authAddr.host);
  upstream.setNoDelay(true);
  upstream.once('error', (err) => {
    opts.logger.warn({ err: err.message }, 'auth tunnel: cannot reach the auth service');
    if (!socket.destroyed) reject(socket, '502 Bad Gateway', 'the proxy cannot reach the auth service right now; try again shortly');
  });
  upstream.once('connect', () => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${AUTH_TUNNEL_PROTOCOL}\r\nConnection: Upgrade\r\n\r\n`);
    if (head.length) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    socket.once('close', close);
    upstream.once('close', close);
    socket.on('error', close);
  });
}
