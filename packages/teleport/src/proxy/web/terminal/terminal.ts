/**
 * @module proxy/web/terminal/terminal
 * One web terminal: the state machine behind one accepted WebSocket. Messages are handled one at a
 * time in arrival order (a browser may send auth, connect and its first keystrokes back to back):
 * `auth` resolves the web session from the cookie and the bearer token, `connect` opens the shell on
 * the node (nodeSession.ts), then `data` goes to the shell (not for observers) and `resize` becomes
 * a window-change. Output goes to the browser as binary frames; when more than `highWaterMark` bytes
 * wait to be sent, the SSH channel is paused, so a flood of output backs up to the node instead of
 * piling up in the proxy's memory. Protocol errors before the shell is open, and every failure to
 * open it, end with an `error` message and close code 1008 (policy) or 1011 (could not connect).
 */
import { AccessDeniedError, BadParameterError, TeleportError, errorMessage } from '@teleport-ts/api/errors';
import type { WebSocket } from 'ws';
import { encodeServerMessage, parseClientMessage, type ClientMessage, type ConnectMessage, type ServerMessage } from './protocol.ts';
import { openNodeSession, type NodeSession } from './nodeSession.ts';
import { SessionIdWatcher } from './sessionId.ts';
import { SESSION_EXPIRED_MESSAGE } from '../webSession.ts';
import type { TerminalCredentials, TerminalOptions } from './types.ts';

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_HIGH_WATER_MARK = 1 << 20;
/** WebSocket close codes used. */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008;
const CLOSE_ERROR = 1011;

type State = 'auth' | 'connect' | 'open' | 'done';

/** What the terminal needs beyond the endpoint's options. */
export interface TerminalRunOptions extends TerminalOptions {
  /** The Cookie header of the upgrade request. */
  cookieHeader: string | undefined;
}

/** A message for the browser: ours as they are, anything unexpected as a generic line (details in the log). */
function publicMessage(err: unknown): string {
  return err instanceof TeleportError ? err.message : 'internal error: the proxy could not run the terminal; see the proxy log';
}

/** Runs the terminal on `ws`; returns a function that ends it (proxy shutdown). */
export function runTerminal(ws: WebSocket, opts: TerminalRunOptions): () => void {
  const log = opts.logger;
  const timeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const high = opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  const stopped = new AbortController();
  let state: State = 'auth';
  let creds: TerminalCredentials | undefined;
  let session: NodeSession | undefined;
  let mode: 'peer' | 'observer' = 'peer';
  let watcher: SessionIdWatcher | undefined;
  let expiry: NodeJS.Timeout | undefined;
  let queue = Promise.resolve();

  const send = (msg: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeServerMessage(msg));
  };
  const finish = (code: number, reason: string, msg?: ServerMessage): void => {
    if (state === 'done') return;
    state = 'done';
    if (msg) send(msg);
    cleanup();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };
  const fail = (err: unknown, code = CLOSE_POLICY): void => {
    if (!(err instanceof TeleportError)) log.error({ err: errorMessage(err) }, 'terminal failed');
    finish(code, 'error', { type: 'error', message: publicMessage(err) });
  };
  const cleanup = (): void => {
    stopped.abort();
    clearTimeout(timer);
    clearTimeout(expiry);
    watcher?.release();
    session?.close();
  };

  let timer = setTimeout(() => fail(new BadParameterError(`no auth message within ${timeoutMs / 1000}s: send {"type":"auth","token":...} first`)), timeoutMs);

  const authenticate = async (token: string): Promise<void> => {
    let c: TerminalCredentials;
    try {
      c = await opts.sessions.fromCookie(opts.cookieHeader, token);
    } catch (err) {
      log.info({ err: errorMessage(err) }, 'terminal refused: web session not valid');
      return fail(err);
    }
    if (state !== 'auth') return;
    const left = c.expires.getTime() - opts.clock.nowMs();
    if (left <= 0) return fail(new AccessDeniedError(SESSION_EXPIRED_MESSAGE));
    creds = c;
    // setTimeout holds at most ~24.8 days; web sessions are far shorter.
    expiry = setTimeout(() => finish(CLOSE_POLICY, 'session expired', { type: 'error', message: SESSION_EXPIRED_MESSAGE }), Math.min(left, 2 ** 31 - 1));
    state = 'connect';
    clearTimeout(timer);
    timer = setTimeout(() => fail(new BadParameterError(`no connect message within ${timeoutMs / 1000}s`)), timeoutMs);
  };

  const connect = async (msg: ConnectMessage, c: TerminalCredentials): Promise<void> => {
    clearTimeout(timer);
    mode = msg.sid !== undefined ? msg.mode ?? 'observer' : 'peer';
    const deps = {
      clusterName: opts.clusterName, proxySSHAddr: opts.proxySSHAddr(), hostCAKeys: opts.hostCAKeys(), clock: opts.clock,
    };
    log.info({ user: c.user, login: msg.login, node: msg.node, sid: msg.sid, mode }, 'web terminal connecting');
    let s: NodeSession;
    try {
      const node = await opts.nodes.resolve({ host: msg.node, port: 0 });
      if (msg.sid === undefined && opts.trackers) {
        watcher = new SessionIdWatcher(opts.trackers, { nodeId: node.metadata.name, login: msg.login, user: c.user });
        await watcher.before();
      }
      s = await (opts.openSession ?? openNodeSession)({
        creds: c, login: msg.login, typed: msg.node, node, cols: msg.cols, rows: msg.rows,
        ...(msg.sid !== undefined && { join: { sid: msg.sid, mode } }),
      }, deps);
    } catch (err) {
      log.info({ err: errorMessage(err), user: c.user, login: msg.login, node: msg.node }, 'web terminal could not connect');
      return fail(err, err instanceof TeleportError && err.code === 'access_denied' ? CLOSE_POLICY : CLOSE_ERROR);
    }
    if (state !== 'connect') {
      s.close();
      return;
    }
    session = s;
    state = 'open';
    wireOutput(s);
    const about = { node: s.node.metadata.name, hostname: s.node.spec.hostname, login: msg.login, mode };
    if (msg.sid !== undefined) send({ type: 'session', sid: msg.sid, ...about });
    else if (watcher) {
      void watcher.find({ signal: stopped.signal }).then((sid) => {
        if (sid !== undefined && state === 'open') send({ type: 'session', sid, ...about });
      });
    }
  };

  const wireOutput = (s: NodeSession): void => {
    let paused = false;
    const drained = (): void => {
      if (paused && ws.bufferedAmount <= high / 4) {
        paused = false;
        s.channel.resume();
        s.channel.stderr.resume();
      }
    };
    const output = (chunk: Buffer): void => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(chunk, { binary: true }, drained);
      if (!paused && ws.bufferedAmount > high) {
        paused = true;
        s.channel.pause();
        s.channel.stderr.pause();
      }
    };
    let status: number | undefined;
    s.channel.on('data', output);
    s.channel.stderr.on('data', output);
    s.channel.on('exit', (code: number | null) => {
      if (typeof code === 'number') status = code;
    });
    s.channel.on('error', () => undefined);
    s.channel.on('close', () => finish(CLOSE_NORMAL, 'session ended', { type: 'exit', code: status ?? (mode === 'observer' ? 0 : 255) }));
  };

  const handle = async (msg: ClientMessage): Promise<void> => {
    if (state === 'done') return;
    if (state === 'auth') {
      if (msg.type !== 'auth') return fail(new BadParameterError('the first message must be {"type":"auth","token":...}'));
      return authenticate(msg.token);
    }
    if (state === 'connect') {
      if (msg.type !== 'connect' || !creds) return fail(new BadParameterError('the second message must be {"type":"connect",...}'));
      return connect(msg, creds);
    }
    const s = session;
    if (!s) return;
    if (msg.type === 'data') {
      if (mode !== 'observer') s.channel.write(msg.data);
    } else if (msg.type === 'resize') {
      if (mode !== 'observer') s.resize(msg.cols, msg.rows);
    } else {
      send({ type: 'error', message: `unexpected "${msg.type}" message: the terminal is already connected` });
    }
  };

  // A bad message before the shell is open ends the terminal; afterwards it is reported and skipped.
  const rejectMessage = (err: unknown): void => {
    if (state === 'open') send({ type: 'error', message: publicMessage(err) });
    else fail(err);
  };
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    let next: () => Promise<void> | void;
    try {
      if (isBinary) throw new BadParameterError('binary frames are not accepted: send {"type":"data","data":...}');
      const msg = parseClientMessage(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
      next = () => handle(msg);
    } catch (err) {
      next = () => rejectMessage(err);
    }
    // Decided in arrival order: a message judged while an earlier connect is still being served
    // would see the wrong state.
    queue = queue.then(next).catch((err: unknown) => fail(err, CLOSE_ERROR));
  });
  ws.on('error', (err) => log.debug({ err: err.message }, 'terminal socket error'));
  ws.once('close', () => {
    if (state !== 'done') log.debug('browser closed the terminal');
    state = 'done';
    cleanup();
  });
  return () => finish(CLOSE_GOING_AWAY, 'proxy shutting down', { type: 'error', message: 'the proxy is shutting down; reconnect in a moment' });
}
