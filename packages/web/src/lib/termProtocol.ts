/**
 * @module termProtocol
 * The web terminal's WebSocket messages (docs: /v1/webapi/sites/:site/connect/ws). Pure encoding
 * and decoding; the socket lives in the terminal page.
 *
 * Browser -> proxy, all JSON text frames, in this order:
 *   {"type":"auth","token":"<bearer>"}            first, always (tokens never go in URLs)
 *   {"type":"connect","login","node","sid"?,"mode"?,"cols","rows"}
 *   {"type":"data","data":"<utf8>"} | {"type":"resize","cols","rows"}
 * Proxy -> browser: binary frames are raw terminal output; text frames are JSON
 *   {"type":"session","sid"} | {"type":"error","message"} | {"type":"exit","code"}.
 */

/** How a user joins someone else's session. */
export type JoinMode = 'peer' | 'observer';

/** What to connect to. */
export interface ConnectRequest {
  login: string;
  node: string;
  /** Join this active session instead of starting one. */
  sid?: string;
  mode?: JoinMode;
  cols: number;
  rows: number;
}

/** A decoded text frame from the proxy. */
export type ServerMessage =
  | { type: 'session'; sid: string }
  | { type: 'error'; message: string }
  | { type: 'exit'; code: number };

/** Terminal sizes are whole numbers in 1..1000; anything else is clamped. */
export function clampSize(n: number): number {
  if (!Number.isFinite(n)) return 1;
  return Math.min(1000, Math.max(1, Math.floor(n)));
}

/** The first message: the bearer token. */
export function encodeAuth(token: string): string {
  return JSON.stringify({ type: 'auth', token });
}

/** The second message: which node, login and size (and the session to join, if any). */
export function encodeConnect(req: ConnectRequest): string {
  const msg: Record<string, unknown> = {
    type: 'connect',
    login: req.login,
    node: req.node,
    cols: clampSize(req.cols),
    rows: clampSize(req.rows),
  };
  if (req.sid) {
    msg.sid = req.sid;
    msg.mode = req.mode ?? 'peer';
  }
  return JSON.stringify(msg);
}

/** Keystrokes or pasted text. */
export function encodeData(data: string): string {
  return JSON.stringify({ type: 'data', data });
}

/** A window size change. */
export function encodeResize(cols: number, rows: number): string {
  return JSON.stringify({ type: 'resize', cols: clampSize(cols), rows: clampSize(rows) });
}

/** Decodes a text frame; unknown or malformed frames give null (and are ignored). */
export function decodeServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  switch (m.type) {
    case 'session':
      return typeof m.sid === 'string' ? { type: 'session', sid: m.sid } : null;
    case 'error':
      return { type: 'error', message: typeof m.message === 'string' ? m.message : 'the connection failed' };
    case 'exit':
      return { type: 'exit', code: typeof m.code === 'number' ? m.code : -1 };
    default:
      return null;
  }
}

/** The WebSocket URL for a cluster, from the page's own origin (ws: for http:, wss: for https:). */
export function terminalSocketUrl(location: { protocol: string; host: string }, site: string): string {
  const scheme = location.protocol === 'http:' ? 'ws:' : 'wss:';
  return `${scheme}//${location.host}/v1/webapi/sites/${encodeURIComponent(site)}/connect/ws`;
}
