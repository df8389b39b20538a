/**
 * @module client/ssh/target
 * What the user types to name SSH destinations, parsed without I/O: `[user@]host[:port]` for
 * `tsh ssh` and `tsh proxy ssh`, `key=value,...` label selectors, and scp's `[user@]host:path`.
 * Hosts may be IPv6 literals in brackets (`[::1]:22`).
 */
import { BadParameterError } from '@teleport-ts/api/errors';

/** A single SSH destination. */
export interface SSHTarget {
  /** OS login from "user@"; absent when not given. */
  login?: string;
  /** Node name, host UUID or address (without brackets). */
  host: string;
  /** Port from ":port"; absent when not given. */
  port?: number;
}

/** The default port of the node service. */
export const DEFAULT_NODE_PORT = 3022;

/** Parses a port number, naming `what` in the error. */
export function parsePort(value: string, what = 'port'): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new BadParameterError(`invalid ${what} "${value}": expected a number from 1 to 65535`);
  return n;
}

/** Splits "user@rest" at the last "@" (logins may not contain one, but e-mail-like user names might). */
function splitLogin(s: string): { login?: string; rest: string } {
  const at = s.lastIndexOf('@');
  if (at < 0) return { rest: s };
  const login = s.slice(0, at);
  if (!login) throw new BadParameterError(`invalid target "${s}": empty login before "@"`);
  return { login, rest: s.slice(at + 1) };
}

/** Splits "host[:port]" / "[v6]:port" / "v6" into host and optional port string. */
function splitHostPort(s: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (v6) return { host: v6[1] as string, ...(v6[2] !== undefined && { port: v6[2] }) };
  const colons = s.split(':').length - 1;
  if (colons === 1) {
    const i = s.indexOf(':');
    return { host: s.slice(0, i), port: s.slice(i + 1) };
  }
  return { host: s }; // no port, or a bare IPv6 literal
}

/** Parses `[user@]host[:port]`. */
export function parseSSHTarget(s: string): SSHTarget {
  const { login, rest } = splitLogin(s.trim());
  const { host, port } = splitHostPort(rest);
  if (!host || /[\s/]/.test(host)) throw new BadParameterError(`invalid target "${s}": expected [user@]host[:port]`);
  return { ...(login !== undefined && { login }), host, ...(port !== undefined && { port: parsePort(port) }) };
}

/** Formats host:port, bracketing IPv6 literals. */
export function joinHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Parses a label selector "key=value[,key=value...]" (all must match); returns undefined when `s`
 * is not one (a host name never contains "=").
 */
export function parseLabelSelector(s: string): Record<string, string> | undefined {
  if (!s.includes('=')) return undefined;
  const out: Record<string, string> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || !key) throw new BadParameterError(`invalid label selector "${s}": expected key=value[,key=value...]`);
    out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

/** A `tsh ssh` destination: one host, or every node matching labels (with an optional login). */
export type Destination =
  | { kind: 'host'; target: SSHTarget }
  | { kind: 'labels'; login?: string; labels: Record<string, string> };

/** Parses `[user@]host[:port]` or `[user@]key=value[,key=value...]`. */
export function parseDestination(s: string): Destination {
  const eq = s.indexOf('=');
  if (eq < 0) return { kind: 'host', target: parseSSHTarget(s) };
  const at = s.slice(0, eq).lastIndexOf('@');
  const login = at >= 0 ? s.slice(0, at) : undefined;
  if (login === '') throw new BadParameterError(`invalid destination "${s}": empty login before "@"`);
  const labels = parseLabelSelector(s.slice(at + 1)) as Record<string, string>;
  return { kind: 'labels', ...(login !== undefined && { login }), labels };
}

/** True when every selector label is present on `labels` with the same value. */
export function labelsMatch(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** A path given to `tsh scp`: local, or remote on a node. */
export type SCPPath =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; login?: string; host: string; path: string };

/**
 * Parses an scp operand like OpenSSH does: `[user@]host:[path]` is remote (an empty path means the
 * login's home directory); anything whose first ":" comes after a "/" (or that has none, or that
 * starts with "/" or ".") is a local path.
 */
export function parseSCPPath(s: string): SCPPath {
  if (s.startsWith('/') || s.startsWith('.')) return { kind: 'local', path: s };
  const m = /^((?:[^@/]*@)?)(\[[^\]]+\]|[^:/[\]]+):(.*)$/s.exec(s);
  if (!m) return { kind: 'local', path: s };
  const login = (m[1] as string).slice(0, -1);
  const host = (m[2] as string).replace(/^\[|\]$/g, '');
  if (!host) return { kind: 'local', path: s };
  return { kind: 'remote', ...(login && { login }), host, path: m[3] as string };
}

/**
 * Strips ".<cluster>" from a host name, so the names OpenSSH dials through `tsh config`
 * ("node1.example.com") become the node names Teleport knows ("node1").
 */
export function stripClusterSuffix(host: string, cluster: string): string {
  const suffix = `.${cluster}`;
  return cluster && host.length > suffix.length && host.endsWith(suffix) ? host.slice(0, -suffix.length) : host;
}
