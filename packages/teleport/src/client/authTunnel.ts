/**
 * @module client/authTunnel
 * tsh's way to the auth API: open the proxy's auth tunnel (an HTTPS Upgrade on the web port) and run
 * mutual TLS with the user's certificate inside it, so auth authorizes the user directly.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { parseProxyAddr } from './webClient.ts';

/** Path and protocol of the proxy's auth tunnel (see proxy/web/authTunnel.ts). */
const TUNNEL_PATH = '/v1/webapi/auth/tunnel';
const TUNNEL_PROTOCOL = 'teleport-auth';

/** How to reach the proxy. */
export interface ProxyDialOptions {
  /** host:port of the web proxy. */
  proxyAddr: string;
  /** Skip verification of the proxy's HTTPS certificate (self-signed test clusters). */
  insecure?: boolean;
  /** CAs that verify the proxy's HTTPS certificate, in addition to the system ones. */
  proxyCAs?: string[];
}

/** Opens a raw byte stream to the auth service through the proxy. */
export function dialAuthThroughProxy(opts: ProxyDialOptions): Promise<Duplex> {
  const { host, port } = parseProxyAddr(opts.proxyAddr);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host,
      port,
      path: TUNNEL_PATH,
      method: 'GET',
      headers: { Connection: 'Upgrade', Upgrade: TUNNEL_PROTOCOL },
      rejectUnauthorized: !opts.insecure,
      ...(opts.proxyCAs?.length && { ca: opts.proxyCAs }),
      timeout: 15_000,
    });
    req.on('upgrade', (_res, socket, head) => {
      // HTTP/2 runs inside: with Nagle, its small frames (WINDOW_UPDATE, acks) wait for the proxy's
      // delayed ACK, which stalled large answers (`tsh ls` over 5k nodes) for up to a second.
      socket.setNoDelay(true);
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      res.resume();
      reject(new ConnectionProblemError(`proxy ${opts.proxyAddr} refused the auth tunnel (HTTP ${res.statusCode}): is it a Teleport proxy of this version?`));
    });
    req.on('timeout', () => req.destroy(new ConnectionProblemError(`timed out opening the auth tunnel through ${opts.proxyAddr}`)));
    req.on('error', (err) => reject(new ConnectionProblemError(`cannot reach proxy ${opts.proxyAddr}: ${err.message}`)));
    req.end();
  });
}

/** An AuthClient that authenticates as the holder of `certPEM` through the proxy's auth tunnel. */
export function authClientThroughProxy(opts: ProxyDialOptions & { certPEM: string; keyPEM: string; clusterCAs: string[] }): AuthClient {
  return new AuthClient({
    addr: opts.proxyAddr,
    certPEM: opts.certPEM,
    keyPEM: opts.keyPEM,
    caCerts: opts.clusterCAs,
    dial: () => dialAuthThroughProxy(opts),
  });
}
