/**
 * @module client/ssh/forward
 * Port forwarding over a node connection: `-L` listens here and opens `direct-tcpip` channels from
 * the node, `-R` asks the node to listen (`tcpip-forward`) and connects here for each incoming
 * channel, `-D` is a local SOCKS5 proxy whose CONNECTs leave from the node. Listeners are returned
 * so the caller closes them when the session ends.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Client } from 'ssh2';
import { AccessDeniedError, ConnectionProblemError } from '@teleport-ts/api/errors';
import type { DynamicForward, StaticForward } from './forwardSpec.ts';
import { serveSOCKS5 } from './socks5.ts';
import { splice } from './splice.ts';
import { joinHostPort } from './target.ts';

/** Something to close when the session ends. */
export interface Closer {
  close(): void;
}

/** Opens a `direct-tcpip` channel from the node to host:port. */
export function forwardOut(conn: Client, host: string, port: number, from?: Socket): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    conn.forwardOut(from?.remoteAddress ?? '127.0.0.1', from?.remotePort ?? 0, host, port, (err, channel) => {
      if (err) reject(new ConnectionProblemError(`the node cannot connect to ${joinHostPort(host, port)}: ${err.message}`, { cause: err }));
      else resolve(channel);
    });
  });
}

function listen(bindAddr: string, port: number, onConn: (s: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, onConn);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new ConnectionProblemError(`cannot listen on ${joinHostPort(bindAddr || '*', port)}: ${err.message}`, { cause: err })));
    server.listen(port, bindAddr || undefined, () => resolve(server));
  });
}

/**
 * `-L`: listens on the local address and forwards every connection to host:port from the node.
 * `warn` receives per-connection failures (the listener keeps running, like OpenSSH's).
 */
export async function startLocalForward(conn: Client, spec: StaticForward, warn: (msg: string) => void): Promise<Server> {
  return listen(spec.bindAddr, spec.bindPort, (sock) => {
    sock.on('error', () => undefined);
    forwardOut(conn, spec.host, spec.port, sock).then(
      (ch) => splice(sock, ch),
      (err: Error) => {
        warn(`-L ${spec.bindPort}: ${err.message}`);
        sock.destroy();
      },
    );
  });
}

/** `-D`: a local SOCKS5 proxy; each CONNECT becomes a `direct-tcpip` channel from the node. */
export async function startDynamicForward(conn: Client, spec: DynamicForward, warn: (msg: string) => void): Promise<Server> {
  return listen(spec.bindAddr, spec.bindPort, (sock) => {
    sock.on('error', () => undefined);
    void serveSOCKS5(sock, (host, port) => forwardOut(conn, host, port, sock).catch((err: Error) => {
      warn(`-D ${spec.bindPort}: ${err.message}`);
      throw err;
    }));
  });
}

/**
 * `-R`: asks the node to listen on each spec's port and connects incoming channels to the spec's
 * local host:port. Resolves with the ports the node bound (useful for port 0).
 */
export async function startRemoteForwards(conn: Client, specs: StaticForward[], warn: (msg: string) => void): Promise<number[]> {
  if (specs.length === 0) return [];
  const byPort = new Map<number, StaticForward>();
  conn.on('tcp connection', (info, accept, reject) => {
    const spec = byPort.get(info.destPort);
    if (!spec) return reject();
    const local = connect({ host: spec.host, port: spec.port, allowHalfOpen: true });
    const onError = (err: Error): void => {
      warn(`-R ${info.destPort}: cannot connect to ${joinHostPort(spec.host, spec.port)}: ${err.message}`);
      reject();
    };
    local.once('error', onError);
    local.once('connect', () => {
      local.off('error', onError);
      splice(accept(), local);
    });
  });
  const bound: number[] = [];
  for (const spec of specs) {
    const port = await new Promise<number>((resolve, reject) => {
      conn.forwardIn(spec.bindAddr, spec.bindPort, (err, p) => {
        if (err) reject(new AccessDeniedError(`the node refused remote forwarding of port ${spec.bindPort} (port forwarding may be disabled by your roles): ${err.message}`, { cause: err }));
        else resolve(p || spec.bindPort);
      });
    });
    byPort.set(port, spec);
    bound.push(port);
  }
  return bound;
}
