/**
 * @module client/db/localProxy
 * The local database proxy behind `tsh proxy db --tunnel` and `tsh db connect`: a plaintext TCP
 * listener on the loopback interface; every connection accepted there opens TLS to the proxy's web
 * port with ALPN `teleport-postgres` / `teleport-mysql` and the database certificate as client
 * certificate, and then bytes are piped both ways. The database protocol runs inside that TLS as
 * is: a PostgreSQL client that sends an SSLRequest to the plaintext port (sslmode=prefer) gets the
 * engine's 'N' through the pipe, so nothing here parses the protocol.
 *
 * The local client's first bytes are held (the socket is paused) until the TLS handshake is done,
 * and the proxy must have selected the ALPN protocol asked for; otherwise the connection is closed
 * and `onError` says why.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionProblemError, TrustError } from '@teleport-ts/api/errors';
import type { DatabaseProtocol } from './dbProfile.ts';

/** ALPN protocol names of the proxy's database routes on the web port. */
export const DATABASE_ALPN: Record<DatabaseProtocol, string> = {
  postgres: 'teleport-postgres',
  mysql: 'teleport-mysql',
};

/**
 * How the proxy's certificate is checked: `full` (chain and name, as a browser does), `ca` (chain
 * only: the self-signed certificate pinned at `tsh db login`, whatever name it carries), `none`
 * (--insecure).
 */
export type ProxyVerification = 'full' | 'ca' | 'none';

/** The client certificate presented to the proxy. */
export interface LocalProxyCredentials {
  certPEM: string;
  keyPEM: string;
}

/** Options of {@link startLocalProxy}. */
export interface LocalProxyOptions {
  /** host:port of the proxy's web listener. */
  remoteAddr: string;
  protocol: DatabaseProtocol;
  /** The certificate, or a function called for every connection (to check expiry or reload it). */
  credentials: LocalProxyCredentials | (() => LocalProxyCredentials | Promise<LocalProxyCredentials>);
  /** CAs that verify the proxy; with `full` the system roots are trusted as well. */
  proxyCAs?: string[];
  verify: ProxyVerification;
  /** SNI and the name checked with `full` (default: the host of remoteAddr when it is not an IP). */
  serverName?: string;
  /** Loopback address to listen on (default 127.0.0.1) and port (default 0: any free one). */
  listenHost?: string;
  listenPort?: number;
  /** Told about each connection that failed (the local client only sees it closed). */
  onError?: (err: Error) => void;
  /** TLS handshake timeout in ms (default 15 s). */
  handshakeTimeoutMs?: number;
}

/** A running local proxy. */
export interface LocalProxy {
  host: string;
  port: number;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(addr.trim());
  if (!m) throw new ConnectionProblemError(`invalid proxy address "${addr}": expected host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/** TLS options for one connection to the proxy. */
export function proxyTLSOptions(o: LocalProxyOptions, creds: LocalProxyCredentials): tls.ConnectionOptions {
  const { host, port } = splitHostPort(o.remoteAddr);
  // SNI may not carry an IP address (RFC 6066); Node then checks the certificate against `host`.
  const name = o.serverName ?? host;
  const serverName = net.isIP(name) ? undefined : name;
  const ca = o.verify === 'full' ? [...tls.rootCertificates, ...(o.proxyCAs ?? [])] : o.proxyCAs;
  return {
    host, port, cert: creds.certPEM, key: creds.keyPEM,
    ALPNProtocols: [DATABASE_ALPN[o.protocol]],
    ...(serverName && { servername: serverName }),
    ...(ca?.length && { ca }),
    rejectUnauthorized: o.verify !== 'none',
    // `ca` mode pins the chain but not the name: a self-signed proxy certificate names what it was
    // generated for, which is not always the address users dial.
    ...(o.verify === 'ca' && { checkServerIdentity: () => undefined }),
  };
}

function noRoute(addr: string, alpn: string, answer: string): ConnectionProblemError {
  return new ConnectionProblemError(`the proxy at ${addr} does not route ${alpn} connections (ALPN answer: ${answer}): is database access enabled on it?`);
}

/** Opens TLS to the proxy for one database connection; rejects with a message a person can act on. */
export function dialProxy(o: LocalProxyOptions, creds: LocalProxyCredentials): Promise<tls.TLSSocket> {
  const alpn = DATABASE_ALPN[o.protocol];
  return new Promise((resolve, reject) => {
    const sock = tls.connect(proxyTLSOptions(o, creds));
    const timer = setTimeout(() => sock.destroy(new ConnectionProblemError(`timed out connecting to the proxy at ${o.remoteAddr}`)), o.handshakeTimeoutMs ?? 15_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code.includes('NO_APPLICATION_PROTOCOL')) {
        reject(noRoute(o.remoteAddr, alpn, 'refused'));
      } else if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(code)) {
        reject(new TrustError(`the proxy's certificate at ${o.remoteAddr} is not trusted (${err.message}): run "tsh db login" again, or use --insecure for a self-signed test cluster`, { cause: err }));
      } else {
        reject(err instanceof ConnectionProblemError ? err : new ConnectionProblemError(`cannot connect to the proxy at ${o.remoteAddr}: ${err.message}`, { cause: err }));
      }
    };
    sock.once('error', fail);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      sock.off('error', fail);
      if (sock.alpnProtocol !== alpn) {
        sock.destroy();
        reject(noRoute(o.remoteAddr, alpn, sock.alpnProtocol || 'none'));
        return;
      }
      resolve(sock);
    });
  });
}

/** Starts the local proxy; resolves once it listens. */
export async function startLocalProxy(o: LocalProxyOptions): Promise<LocalProxy> {
  const open = new Set<net.Socket>();
  const getCreds = typeof o.credentials === 'function' ? o.credentials : ((c) => () => c)(o.credentials);
  const report = (err: Error): void => o.onError?.(err);

  const server = net.createServer({ pauseOnConnect: true }, (local) => {
    open.add(local);
    local.once('close', () => open.delete(local));
    local.on('error', () => undefined); // reset by the local client: nothing to add
    void (async () => {
      let remote: tls.TLSSocket;
      try {
        remote = await dialProxy(o, await getCreds());
      } catch (err) {
        local.destroy();
        report(err as Error);
        return;
      }
      open.add(remote);
      remote.once('close', () => {
        open.delete(remote);
        local.destroy();
      });
      remote.on('error', (err) => report(new ConnectionProblemError(`connection to the proxy failed: ${err.message}`, { cause: err })));
      local.once('close', () => remote.destroy());
      if (local.destroyed) return remote.destroy();
      local.pipe(remote);
      remote.pipe(local);
      local.resume();
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listenPort ?? 0, o.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: addr.address,
    port: addr.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      });
      return closing;
    },
  };
}

/**
 * Keeps a local proxy running until Ctrl-C (SIGINT), SIGTERM or `signal` aborts, then closes it
 * (listener and open connections). Resolves once closed.
 */
export function serveUntilInterrupted(proxy: LocalProxy, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      void proxy.close().then(resolve);
    };
    if (signal?.aborted) return stop();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    signal?.addEventListener('abort', stop);
  });
}
