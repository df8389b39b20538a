/**
 * @module client/ssh/forwardSpec
 * Port forwarding specifications in OpenSSH's syntax, parsed without I/O:
 *
 * ```
 * -L [bind_address:]port:host:hostport   local port -> host:hostport as seen from the node
 * -R [bind_address:]port:host:hostport   port on the node -> host:hostport as seen from here
 * -D [bind_address:]port                 local SOCKS5 proxy, connections leave from the node
 * ```
 *
 * IPv6 addresses go in brackets. An empty or "*" bind address means every interface; without one,
 * listeners bind to the loopback address, as OpenSSH does with GatewayPorts off.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { parsePort } from './target.ts';

/** A static forward (-L or -R). */
export interface StaticForward {
  /** Address to listen on ("" = all interfaces). */
  bindAddr: string;
  /** Port to listen on (0 = any free port, for -R). */
  bindPort: number;
  /** Where connections go. */
  host: string;
  port: number;
}

/** A dynamic (SOCKS) forward (-D). */
export interface DynamicForward {
  bindAddr: string;
  bindPort: number;
}

const LOOPBACK = '127.0.0.1';

/** Splits on ":" outside brackets; brackets are removed from the parts. */
function splitColons(spec: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of spec) {
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    else if (ch === ':' && depth === 0) {
      parts.push(cur);
      cur = '';
      continue;
    }
    if (ch !== '[' && ch !== ']') cur += ch;
  }
  if (depth !== 0) throw new BadParameterError(`unbalanced brackets in "${spec}"`);
  parts.push(cur);
  return parts;
}

function bindOf(addr: string | undefined): string {
  if (addr === undefined) return LOOPBACK;
  return addr === '*' ? '' : addr;
}

function parseStatic(flag: '-L' | '-R', spec: string, allowZero: boolean): StaticForward {
  const parts = splitColons(spec);
  const usage = `${flag} ${spec}: expected [bind_address:]port:host:hostport`;
  if (parts.length !== 3 && parts.length !== 4) throw new BadParameterError(`invalid ${usage}`);
  const [bind, port, host, hostPort] = parts.length === 4 ? parts : [undefined, ...parts];
  if (!host) throw new BadParameterError(`invalid ${usage}`);
  const bindPort = allowZero && port === '0' ? 0 : parsePort(port ?? '', `port in ${flag} ${spec}`);
  return { bindAddr: bindOf(bind), bindPort, host, port: parsePort(hostPort ?? '', `host port in ${flag} ${spec}`) };
}

/** Parses a -L spec. */
export function parseLocalForward(spec: string): StaticForward {
  return parseStatic('-L', spec, false);
}

/** Parses a -R spec (port 0 asks the node for any free port). */
export function parseRemoteForward(spec: string): StaticForward {
  return parseStatic('-R', spec, true);
}

/** Parses a -D spec. */
export function parseDynamicForward(spec: string): DynamicForward {
  const parts = splitColons(spec);
  if (parts.length > 2) throw new BadParameterError(`invalid -D ${spec}: expected [bind_address:]port`);
  const [bind, port] = parts.length === 2 ? parts : [undefined, parts[0]];
  return { bindAddr: bindOf(bind), bindPort: parsePort(port ?? '', `port in -D ${spec}`) };
}
