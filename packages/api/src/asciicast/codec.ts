/**
 * @module asciicast/codec
 * Encoding of asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), the format session
 * recordings are stored in. A recording is newline-delimited JSON:
 *
 *     {"version": 2, "width": 80, "height": 24, "timestamp": 1767225600, "env": {"TERM": "xterm"}}
 *     [0.250000, "o", "$ ls\r\n"]
 *     [1.000000, "r", "100x30"]
 *
 * The first line is the header; each later line is an event `[time, code, data]` with `time` in
 * seconds since the start, `code` "o" (output), "i" (input), "r" (resize, data "WxH") or "m"
 * (marker). Lines are written with asciinema's own spacing (", " and ": ") so files look like the
 * ones asciinema records; control characters are JSON-escaped ("\u001b"), so `cat` shows plain text.
 * Pure functions, no I/O.
 */
import { BadParameterError } from '../errors.ts';

/** Event codes defined by asciicast v2. */
export type EventCode = 'o' | 'i' | 'r' | 'm';

/** The header (first line) of an asciicast v2 file; unknown fields are kept by the parser. */
export interface AsciicastHeader {
  version: 2;
  /** Terminal width in columns. */
  width: number;
  /** Terminal height in rows. */
  height: number;
  /** Start of the recording, Unix time in seconds. */
  timestamp?: number;
  /** Total duration in seconds, when the writer knew it. */
  duration?: number;
  /** Players cap pauses at this many seconds. */
  idle_time_limit?: number;
  command?: string;
  title?: string;
  /** Environment of the recorded shell (asciinema records TERM and SHELL). */
  env?: Record<string, string>;
  [extra: string]: unknown;
}

/** One event line. Parsed events keep unknown codes (players ignore them), so `code` is a string. */
export interface AsciicastEvent {
  /** Seconds since the start of the recording. */
  time: number;
  code: string;
  data: string;
}

/** What encodeHeader needs. */
export interface HeaderFields {
  width: number;
  height: number;
  /** Unix time in seconds (fractions are dropped). */
  timestamp: number;
  env?: Record<string, string>;
  title?: string;
}

/** Encodes the header line, newline included. */
export function encodeHeader(h: HeaderFields): string {
  checkSize(h.width, h.height);
  if (!Number.isFinite(h.timestamp) || h.timestamp < 0) throw new BadParameterError('asciicast timestamp must be a non-negative Unix time in seconds');
  const fields: Array<[string, unknown]> = [['version', 2], ['width', h.width], ['height', h.height], ['timestamp', Math.floor(h.timestamp)]];
  if (h.env && Object.keys(h.env).length > 0) fields.push(['env', h.env]);
  if (h.title !== undefined) fields.push(['title', h.title]);
  return `${inlineJSON(Object.fromEntries(fields))}\n`;
}

/**
 * Encodes one event line, newline included. `timeSeconds` is written with microsecond precision
 * (as asciinema does); for "r" the data must be "WxH".
 */
export function encodeEvent(timeSeconds: number, code: EventCode, data: string): string {
  if (!Number.isFinite(timeSeconds) || timeSeconds < 0) throw new BadParameterError(`asciicast event time must be a non-negative number of seconds, got ${timeSeconds}`);
  if (code === 'r') parseResize(data);
  return `[${timeSeconds.toFixed(6)}, ${JSON.stringify(code)}, ${JSON.stringify(data)}]\n`;
}

/** Encodes a resize event's data ("WxH"). */
export function resizeData(width: number, height: number): string {
  checkSize(width, height);
  return `${width}x${height}`;
}

/** Decodes a resize event's data ("WxH"); BadParameterError when malformed. */
export function parseResize(data: string): { width: number; height: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(data);
  if (!m) throw new BadParameterError(`asciicast resize data must be "WxH", got ${JSON.stringify(data)}`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  checkSize(width, height);
  return { width, height };
}

/** Parses the header line; `lineNo` is used in error messages. */
export function parseHeaderLine(line: string, lineNo = 1): AsciicastHeader {
  const v = parseJSON(line, lineNo);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new BadParameterError(`asciicast line ${lineNo}: expected the header object {"version": 2, ...}`);
  }
  const h = v as Record<string, unknown>;
  if (h.version !== 2) {
    throw new BadParameterError(`asciicast line ${lineNo}: unsupported version ${JSON.stringify(h.version)}: only asciicast v2 is supported`);
  }
  if (!Number.isInteger(h.width) || !Number.isInteger(h.height) || (h.width as number) <= 0 || (h.height as number) <= 0) {
    throw new BadParameterError(`asciicast line ${lineNo}: header needs positive integer "width" and "height"`);
  }
  return h as AsciicastHeader;
}

/** Parses an event line; `lineNo` is used in error messages. */
export function parseEventLine(line: string, lineNo: number): AsciicastEvent {
  const v = parseJSON(line, lineNo);
  if (!Array.isArray(v) || v.length < 3) {
    throw new BadParameterError(`asciicast line ${lineNo}: expected an event [time, code, data]`);
  }
  const [time, code, data] = v as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    throw new BadParameterError(`asciicast line ${lineNo}: event time must be a non-negative number`);
  }
  if (typeof code !== 'string' || code.length === 0 || typeof data !== 'string') {
    throw new BadParameterError(`asciicast line ${lineNo}: event code and data must be strings`);
  }
  return { time, code, data };
}

function parseJSON(line: string, lineNo: number): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new BadParameterError(`asciicast line ${lineNo}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || width > 65535 || height > 65535) {
    throw new BadParameterError(`terminal size must be positive integers up to 65535, got ${width}x${height}`);
  }
}

/** JSON with asciinema's separators (", " and ": ") on one line. */
function inlineJSON(v: unknown): string {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${inlineJSON(x)}`);
    return `{${parts.join(', ')}}`;
  }
  return JSON.stringify(v);
}
