/**
 * @module proxy/web/terminal/protocol
 * The web terminal's WebSocket protocol, as pure functions (no I/O). The browser sends JSON text
 * frames:
 *
 *   {"type":"auth","token":"<bearer>"}                                   first, exactly once
 *   {"type":"connect","login":"root","node":"<name or id>",
 *    "sid"?:"<session to join>","mode"?:"peer"|"observer","cols":80,"rows":24}   second, exactly once
 *   {"type":"data","data":"<utf8 keystrokes>"}
 *   {"type":"resize","cols":120,"rows":40}
 *
 * The proxy sends binary frames with raw terminal output, and JSON text frames
 * `{"type":"session","sid":...}`, `{"type":"error","message":...}` and `{"type":"exit","code":N}`.
 * {@link parseClientMessage} validates one frame and throws BadParameterError with a message fit for
 * the browser.
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** `{"type":"auth"}`: the web session's bearer token (never put in the URL). */
export interface AuthMessage {
  type: 'auth';
  token: string;
}

/** `{"type":"connect"}`: what to open. */
export interface ConnectMessage {
  type: 'connect';
  login: string;
  node: string;
  /** Join this live session instead of starting one. */
  sid?: string;
  /** Joining only: "peer" types too, "observer" watches (the default when joining). */
  mode?: 'peer' | 'observer';
  cols: number;
  rows: number;
}

/** `{"type":"data"}`: keystrokes or pasted text. */
export interface DataMessage {
  type: 'data';
  data: string;
}

/** `{"type":"resize"}`: the browser's terminal changed size. */
export interface ResizeMessage {
  type: 'resize';
  cols: number;
  rows: number;
}

/** Any message the browser may send. */
export type ClientMessage = AuthMessage | ConnectMessage | DataMessage | ResizeMessage;

/** Text messages the proxy sends (output goes in binary frames). */
export type ServerMessage =
  | { type: 'session'; sid: string; node?: string; hostname?: string; login?: string; mode?: 'peer' | 'observer' }
  | { type: 'error'; message: string }
  | { type: 'exit'; code: number };

/** Largest terminal dimension accepted, in cells. */
export const MAX_TERMINAL_DIMENSION = 1000;
/** Largest `data` string accepted, in UTF-16 code units. */
export const MAX_DATA_LENGTH = 32 * 1024;
/** Largest token accepted (far above any real one; keeps junk out of the resolver). */
const MAX_TOKEN_LENGTH = 4096;

// A login as OpenSSH would pass it: no whitespace, control characters, '@' or ':'.
const LOGIN = /^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,63}$/;
// Hostname, host UUID, "<name>.<cluster>", IPv4/IPv6 (optionally in brackets) or host:port.
const NODE = /^[A-Za-z0-9_.:[\]-]{1,253}$/;
const SESSION_ID = /^[A-Za-z0-9-]{1,64}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dimension(msg: Record<string, unknown>, field: 'cols' | 'rows'): number {
  const v = msg[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TERMINAL_DIMENSION) {
    throw new BadParameterError(`"${field}" must be a whole number from 1 to ${MAX_TERMINAL_DIMENSION}`);
  }
  return v;
}

function text(msg: Record<string, unknown>, field: string, pattern: RegExp, what: string): string {
  const v = msg[field];
  if (typeof v !== 'string' || v === '') throw new BadParameterError(`"${field}" is required: ${what}`);
  if (!pattern.test(v)) throw new BadParameterError(`"${field}" is not a valid ${what}`);
  return v;
}

/**
 * Parses and validates one text frame from the browser. Throws BadParameterError on anything but a
 * well-formed message of a known type (unknown fields are ignored).
 */
export function parseClientMessage(frame: string): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(frame);
  } catch {
    throw new BadParameterError('terminal messages must be JSON objects');
  }
  if (!isRecord(msg)) throw new BadParameterError('terminal messages must be JSON objects');
  switch (msg.type) {
    case 'auth': {
      const token = msg.token;
      if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
        throw new BadParameterError('"token" must be the bearer token of your web session');
      }
      return { type: 'auth', token };
    }
    case 'connect': {
      const out: ConnectMessage = {
        type: 'connect',
        login: text(msg, 'login', LOGIN, 'login (the OS user to log in as)'),
        node: text(msg, 'node', NODE, 'node name, ID or address'),
        cols: dimension(msg, 'cols'),
        rows: dimension(msg, 'rows'),
      };
      if (msg.sid !== undefined) out.sid = text(msg, 'sid', SESSION_ID, 'session ID');
      if (msg.mode !== undefined) {
        if (msg.mode !== 'peer' && msg.mode !== 'observer') throw new BadParameterError('"mode" must be "peer" or "observer"');
        if (out.sid === undefined) throw new BadParameterError('"mode" applies only when joining a session ("sid")');
        out.mode = msg.mode;
      }
      return out;
    }
    case 'data': {
      if (typeof msg.data !== 'string') throw new BadParameterError('"data" must be a string');
      if (msg.data.length > MAX_DATA_LENGTH) throw new BadParameterError(`"data" is longer than ${MAX_DATA_LENGTH} characters: send it in pieces`);
      return { type: 'data', data: msg.data };
    }
    case 'resize':
      return { type: 'resize', cols: dimension(msg, 'cols'), rows: dimension(msg, 'rows') };
    default:
      throw new BadParameterError(`unknown terminal message type ${JSON.stringify(typeof msg.type === 'string' ? msg.type.slice(0, 40) : msg.type ?? null)}: ` +
        'expected auth, connect, data or resize');
  }
}

/** Encodes a text message for the browser. */
export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}
