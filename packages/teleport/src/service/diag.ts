/**
 * @module service/diag
 * The diagnostics endpoint (`diag_addr`, port 3000 by convention): plain HTTP, meant for load balancers,
 * orchestrators and Prometheus, so it carries no secrets and needs no authentication.
 *   GET /healthz  200 {"status":"ok"} while the process is up
 *   GET /readyz   200 {"status":"ok"} once every service is ready, else 503 naming the services that are not
 *   GET /metrics  Prometheus text exposition of the process registry
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { errorMessage } from '@teleport-ts/api/errors';
import { Ports } from '../config/defaults.ts';
import { parseHostPort, type HostPort } from '../config/netAddr.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import type { Registry } from '../utils/metrics.ts';
import type { Supervisor } from './supervisor.ts';

/** What the diagnostics server needs. */
export interface DiagServerOptions {
  /** "host:port"; port 0 picks a free port. */
  addr: string;
  supervisor: Pick<Supervisor, 'isReady' | 'notReady'>;
  registry: Registry;
  logger: Logger;
}

/** A running diagnostics server. */
export interface DiagServer {
  /** The address actually bound (useful with port 0). */
  address: HostPort;
  close(): Promise<void>;
}

function sendJSON(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Starts the diagnostics HTTP server; resolves once it listens. */
export async function startDiagServer(opts: DiagServerOptions): Promise<DiagServer> {
  const log = componentLogger(opts.logger, 'diag');
  const bind = parseHostPort(opts.addr, { defaultPort: Ports.diag, defaultHost: '127.0.0.1' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://diag').pathname;
    switch (path) {
      case '/healthz':
        return sendJSON(res, 200, { status: 'ok' });
      case '/readyz':
        if (opts.supervisor.isReady()) return sendJSON(res, 200, { status: 'ok' });
        return sendJSON(res, 503, { status: 'not ready', services: opts.supervisor.notReady() });
      case '/metrics': {
        const text = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      default:
        return sendJSON(res, 404, { error: `no such endpoint ${path}: use /healthz, /readyz or /metrics` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, url: req.url }, 'diagnostics request failed');
      if (!res.headersSent) sendJSON(res, 500, { error: errorMessage(err) });
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address: HostPort = typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : bind;
  log.info({ addr: `${address.host}:${address.port}` }, 'diagnostics endpoint listening');

  return {
    address,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    }),
  };
}
