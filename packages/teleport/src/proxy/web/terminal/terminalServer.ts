/**
 * @module proxy/web/terminal/terminalServer
 * The web terminal endpoint `GET /v1/webapi/sites/:site/connect/ws`. The web server hands it the
 * HTTP upgrades of that path; it checks the site and the Origin (403 for any page but the proxy's
 * own), accepts the WebSocket (`ws`, noServer), then runs one terminal per socket (terminal.ts):
 * the `auth` message within 10 s, the `connect` message within 10 s more, then keystrokes, resizes
 * and output until the shell or the browser ends it. Terminals close when the web session expires
 * and when the proxy stops.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { componentLogger, type Logger } from '../../../utils/logger.ts';
import { MAX_DATA_LENGTH } from './protocol.ts';
import { runTerminal } from './terminal.ts';
import type { TerminalOptions } from './types.ts';
import { originAllowed, rejectUpgrade, terminalSite } from './upgrade.ts';

/** How often idle browsers are pinged; one unanswered ping ends the terminal. */
const PING_INTERVAL_MS = 30_000;

/** The terminal endpoint, plugged into the web server's `upgrade` dispatch. */
export class TerminalServer {
  private readonly wss: WebSocketServer;
  private readonly logger: Logger;
  private readonly live = new Map<WebSocket, () => void>();
  private closed = false;

  constructor(private readonly opts: TerminalOptions) {
    this.logger = componentLogger(opts.logger, 'web:terminal');
    // A frame carries at most one data message: JSON-escaped keystrokes can take 6 bytes per character.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_DATA_LENGTH * 6 + 1024, perMessageDeflate: false, clientTracking: false });
  }

  /** True for the paths this endpoint serves. */
  matches(pathname: string): boolean {
    return terminalSite(pathname) !== undefined;
  }

  /** Handles one `upgrade` event whose path {@link matches}. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const pathname = new URL(req.url ?? '/', 'https://proxy').pathname;
    const site = terminalSite(pathname);
    if (this.closed) return rejectUpgrade(socket, 503, 'Service Unavailable', 'the proxy is shutting down; try again shortly');
    if (site === undefined) return rejectUpgrade(socket, 404, 'Not Found', `no terminal endpoint at ${pathname}`);
    if (site !== this.opts.clusterName) {
      return rejectUpgrade(socket, 404, 'Not Found', `cluster "${site}" not found: this proxy serves "${this.opts.clusterName}"`);
    }
    if (req.method !== 'GET' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return rejectUpgrade(socket, 400, 'Bad Request', 'the terminal endpoint takes a WebSocket upgrade (GET with "Upgrade: websocket")');
    }
    if (!originAllowed(req.headers.origin, req.headers.host, this.opts.allowedOrigins?.() ?? [])) {
      this.logger.warn({ origin: req.headers.origin, remote: req.socket.remoteAddress }, 'terminal refused: cross-origin WebSocket');
      return rejectUpgrade(socket, 403, 'Forbidden', 'cross-origin terminal connections are not allowed: open the terminal from the Teleport web UI');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, req));
  }

  private serve(ws: WebSocket, req: IncomingMessage): void {
    if (this.closed) {
      ws.close(1001, 'proxy shutting down');
      return;
    }
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    ping.unref();
    const stop = runTerminal(ws, {
      ...this.opts,
      logger: this.logger.child({ remote: req.socket.remoteAddress }),
      cookieHeader: req.headers.cookie,
    });
    this.live.set(ws, stop);
    ws.once('close', () => {
      clearInterval(ping);
      this.live.delete(ws);
    });
  }

  /** Number of open terminal sockets. */
  get size(): number {
    return this.live.size;
  }

  /** Refuses new terminals and ends the open ones (their shells get SIGHUP like a closed terminal). */
  close(): void {
    this.closed = true;
    for (const stop of [...this.live.values()]) stop();
  }
}
