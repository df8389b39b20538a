/**
 * @module proxy/db/postgresCancel
 * PostgreSQL query cancellation through the proxy. psql (libpq before 17) cancels by opening a NEW,
 * plaintext connection and sending a 16-byte CancelRequest `int32 16 | int32 80877102 | int32
 * process id | int32 secret key` with the BackendKeyData its session received. That connection
 * carries no certificate, so the secret key is its only credential, and the proxy must know which
 * database service ran the session. This module:
 *
 * - watches the service-to-client bytes of each routed PostgreSQL session until its BackendKeyData
 *   (`'K' | int32 12 | int32 pid | int32 key`) or the end of the startup phase (ReadyForQuery or an
 *   ErrorResponse), and remembers key -> (service host, database, client certificate) while the
 *   session lives;
 * - on a CancelRequest (the web port's multiplexer or the dedicated listener), dials that service
 *   with the session's header and passes the 16 bytes on. The engine sees a CancelRequest as the
 *   first message of a "db" channel and cancels the query of the session with that key. Unknown
 *   keys are dropped without an answer, as PostgreSQL itself does.
 */
import type { Duplex, Readable } from 'node:stream';
import { encodeFrame } from '../../reversetunnel/protocol.ts';
import type { ReverseTunnelServer } from '../../reversetunnel/server.ts';
import type { DatabaseSessionHeader } from '../../srv/db/common/engine.ts';
import type { Logger } from '../../utils/logger.ts';

/** Length of a CancelRequest. */
export const CANCEL_REQUEST_LENGTH = 16;
/** Most startup-phase bytes looked at for BackendKeyData. */
const SNIFF_LIMIT = 64 * 1024;

/**
 * Finds the BackendKeyData in the backend's startup messages. Pure and incremental: push chunks,
 * get the 8 bytes (pid + secret key) once seen, `null` when the startup phase ended without one or
 * the stream is not what it should be, `undefined` while still looking.
 */
export class BackendKeySniffer {
  private buf: Buffer = Buffer.alloc(0);
  private seen = 0;

  /** Feeds bytes; see the class comment for the result. */
  push(chunk: Buffer): Buffer | null | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.seen += chunk.length;
    for (;;) {
      if (this.buf.length < 5) return this.seen > SNIFF_LIMIT ? null : undefined;
      const type = String.fromCharCode(this.buf[0] ?? 0);
      const length = this.buf.readInt32BE(1);
      if (length < 4 || length > SNIFF_LIMIT) return null;
      if (this.buf.length < 1 + length) return this.seen > SNIFF_LIMIT ? null : undefined;
      const body = this.buf.subarray(5, 1 + length);
      this.buf = this.buf.subarray(1 + length);
      if (type === 'K') return body.length === 8 ? Buffer.from(body) : null;
      if (type === 'Z' || type === 'E') return null;
    }
  }
}

/** Where a session's cancel requests go. */
export interface CancelRoute {
  hostId: string;
  database: string;
  clientCertPEM: string;
}

/** Inputs of {@link PostgresCancelRegistry}. */
export interface PostgresCancelRegistryOptions {
  tunnel: Pick<ReverseTunnelServer, 'dial'>;
  logger: Logger;
  /** How long a cancel connection may take to send its 16 bytes, or the service to answer (default 5 s). */
  timeoutMs?: number;
}

/** Live sessions' cancel keys, and the forwarding of CancelRequests. */
export class PostgresCancelRegistry {
  private readonly routes = new Map<string, CancelRoute>();

  constructor(private readonly opts: PostgresCancelRegistryOptions) {}

  /** Number of sessions whose key is known (for tests and metrics). */
  get size(): number {
    return this.routes.size;
  }

  /** Watches a routed session's service-to-client stream for its key; forgets it when the stream closes. */
  track(fromService: Readable, route: CancelRoute): void {
    const sniffer = new BackendKeySniffer();
    const onData = (chunk: Buffer): void => {
      const key = sniffer.push(chunk);
      if (key === undefined) return;
      fromService.removeListener('data', onData);
      if (!key) return;
      const id = key.toString('hex');
      this.routes.set(id, route);
      fromService.once('close', () => {
        if (this.routes.get(id) === route) this.routes.delete(id);
      });
    };
    fromService.on('data', onData);
  }

  /** Serves a plaintext connection that starts with a CancelRequest (bytes not consumed yet). */
  handle(socket: Duplex, clientAddr: string): void {
    const timeoutMs = this.opts.timeoutMs ?? 5_000;
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    timer.unref();
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < CANCEL_REQUEST_LENGTH) return;
      socket.removeListener('data', onData);
      const request = buf.subarray(0, CANCEL_REQUEST_LENGTH);
      void this.forward(request, clientAddr).finally(() => {
        clearTimeout(timer);
        socket.destroy();
      });
    };
    socket.on('data', onData);
    socket.resume();
  }

  private async forward(request: Buffer, clientAddr: string): Promise<void> {
    const route = this.routes.get(request.subarray(8, 16).toString('hex'));
    if (!route) {
      this.opts.logger.debug({ remote: clientAddr }, 'PostgreSQL cancel request for an unknown session; ignored');
      return;
    }
    try {
      const remote = await this.opts.tunnel.dial(route.hostId, { type: 'db', target: route.database, client_addr: clientAddr });
      remote.on('error', () => undefined);
      const header: DatabaseSessionHeader = { client_cert: route.clientCertPEM, client_addr: clientAddr, protocol: 'postgres' };
      remote.write(encodeFrame(header));
      remote.end(request);
      remote.resume();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.timeoutMs ?? 5_000);
        timer.unref();
        remote.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      remote.destroy();
      this.opts.logger.debug({ remote: clientAddr, hostId: route.hostId, db: route.database }, 'PostgreSQL cancel request forwarded');
    } catch (err) {
      this.opts.logger.warn({ remote: clientAddr, hostId: route.hostId, err: (err as Error).message }, 'could not forward a PostgreSQL cancel request');
    }
  }
}
