/**
 * @module service/joinRoute
 * How an agent without a local auth service reaches auth: directly (port 3025) or through a proxy's
 * web port (the auth tunnel, an HTTP Upgrade that becomes a byte pipe to auth). `--auth-server` may
 * name either, as upstream allows, so each address is probed with the proxy's ping endpoint: a proxy
 * answers it, auth (HTTP/2 only) does not. TLS to auth always runs end to end inside whatever stream
 * this returns, and that TLS is what gets verified, so the proxy's own HTTPS certificate is not
 * checked here: the proxy only forwards bytes it cannot read.
 */
import https from 'node:https';
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebAPIPaths } from '@teleport-ts/api/webapi';
import { BadParameterError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { dialAuthThroughProxy } from '../client/authTunnel.ts';
import { Ports } from '../config/defaults.ts';
import type { Logger } from '../utils/logger.ts';

/** A way to auth: straight to it, or through a proxy's web port. */
export interface JoinRoute {
  kind: 'auth' | 'proxy';
  /** host:port dialled (auth's API or the proxy's web listener). */
  addr: string;
}

/** How long the proxy probe may take before the address is taken for auth. */
const PROBE_TIMEOUT_MS = 3_000;

/** Splits "host:port" or "[v6]:port"; the port defaults to `defaultPort`. */
export function splitAddr(addr: string, defaultPort: number): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d+))?$/.exec(addr.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, ''));
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BadParameterError(`invalid address "${addr}": expected host:port, like proxy.example.com:3080`);
  }
  return { host, port };
}

/**
 * Whether `addr` answers the proxy's ping endpoint: true (a proxy), false (something answered, but not
 * a proxy: auth), or undefined (nothing answered in time).
 */
export function probeProxy(addr: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean | undefined> {
  const { host, port } = splitAddr(addr, Ports.web);
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: boolean | undefined) => {
      if (settled) return;
      settled = true;
      resolve(v);
    };
    // Not verified on purpose: this only chooses the route; auth's certificate is verified inside it.
    // Offering http/1.1 by ALPN makes auth (h2 only) refuse in the handshake instead of idling.
    const tlsOptions: ConnectionOptions = { rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] };
    const req = https.request({ ...tlsOptions, host, port, path: WebAPIPaths.ping, method: 'GET', timeout: timeoutMs, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 65_536) body += c;
      });
      res.on('end', () => {
        try {
          const ping = JSON.parse(body) as { cluster_name?: unknown; proxy?: unknown };
          done(res.statusCode === 200 && (typeof ping.cluster_name === 'string' || typeof ping.proxy === 'object'));
        } catch {
          done(false);
        }
      });
      res.on('error', () => done(false));
    });
    req.on('timeout', () => {
      req.destroy();
      done(undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Refused or unroutable: nothing is there (yet). Anything later (TLS, protocol) means something answered.
      const unreachable = ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT'];
      done(unreachable.includes(err.code ?? '') ? undefined : false);
    });
    req.end();
  });
}

/** Opens a byte stream to auth along a route. */
export function dialRoute(route: JoinRoute): Promise<Duplex> {
  if (route.kind === 'proxy') return dialAuthThroughProxy({ proxyAddr: route.addr, insecure: true });
  const { host, port } = splitAddr(route.addr, Ports.auth);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', (err) => reject(new ConnectionProblemError(`cannot reach the auth service at ${route.addr}: ${err.message}`)));
  });
}

/**
 * The candidate routes in order: `proxyServer` alone when set, otherwise each of `authServers`,
 * classified by probing. An address nobody answers keeps its best guess (3025 is auth, anything
 * else a proxy) and `unreachable` is set, so callers can try it last or report it.
 */
export async function resolveRoutes(opts: { authServers: string[]; proxyServer?: string; logger: Logger }): Promise<Array<JoinRoute & { unreachable?: boolean }>> {
  if (opts.proxyServer) return [{ kind: 'proxy', addr: opts.proxyServer }];
  if (opts.authServers.length === 0) {
    throw new BadParameterError('no auth server or proxy to join: pass --auth-server=<proxy host:3080> (or set teleport.proxy_server)');
  }
  const out: Array<JoinRoute & { unreachable?: boolean }> = [];
  for (const addr of opts.authServers) {
    const isProxy = await probeProxy(addr);
    if (isProxy === undefined) {
      const guess = splitAddr(addr, Ports.auth).port === Ports.auth ? 'auth' : 'proxy';
      opts.logger.debug({ addr, guess }, 'no answer from the address yet; guessing what it is');
      out.push({ kind: guess, addr, unreachable: true });
    } else {
      opts.logger.debug({ addr, kind: isProxy ? 'proxy' : 'auth' }, 'found the way to auth');
      out.push({ kind: isProxy ? 'proxy' : 'auth', addr });
    }
  }
  // Reachable ones first, keeping the configured order otherwise.
  return [...out.filter((r) => !r.unreachable), ...out.filter((r) => r.unreachable)];
}

/** An AuthClient along a route with the given credentials (none for the joining calls). */
export function authClientFor(
  route: JoinRoute,
  creds: { certPEM?: string; keyPEM?: string; caCerts: string[]; insecureSkipVerify?: boolean; timeoutMs?: number },
): AuthClient {
  return new AuthClient({
    addr: route.addr,
    ...(creds.certPEM !== undefined && { certPEM: creds.certPEM }),
    ...(creds.keyPEM !== undefined && { keyPEM: creds.keyPEM }),
    caCerts: creds.caCerts,
    ...(creds.insecureSkipVerify && { insecureSkipVerify: true }),
    ...(creds.timeoutMs !== undefined && { timeoutMs: creds.timeoutMs }),
    dial: () => dialRoute(route),
  });
}
