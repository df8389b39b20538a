/**
 * @module config/netAddr
 * Parsing of the "host:port" addresses used all over teleport.yaml and the CLI. Like upstream, the
 * port may be left out (the listener's default port is used), a "tcp://" prefix is accepted, and
 * IPv6 hosts are written in brackets ("[::1]:3025").
 */
import { isIP, isIPv6 } from 'node:net';
import { BadParameterError } from '@teleport-ts/api/errors';

/** A parsed network address. */
export interface HostPort {
  host: string;
  port: number;
}

/** How to fill in the parts an address may leave out. */
export interface AddrDefaults {
  /** Port used when the address has none. */
  defaultPort: number;
  /** Host used when the address is just ":port"; without it an empty host is an error. */
  defaultHost?: string;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

function parsePort(text: string, addr: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new BadParameterError(`invalid address "${addr}": port must be a number from 0 to 65535`);
  }
  return Number(text);
}

/** Parses "host:port", "host", ":port" or "[v6]:port"; throws BadParameterError explaining the problem. */
export function parseHostPort(text: string, defaults: AddrDefaults): HostPort {
  const addr = text.trim();
  let rest = addr.startsWith('tcp://') ? addr.slice('tcp://'.length) : addr;
  if (rest === '') throw new BadParameterError('address is empty: use host:port, like 0.0.0.0:3080');
  if (rest.includes('://') || rest.includes('/')) {
    throw new BadParameterError(`invalid address "${addr}": use host:port without a scheme or path, like example.com:3080`);
  }
  let host: string;
  let port = defaults.defaultPort;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new BadParameterError(`invalid address "${addr}": missing "]" after the IPv6 address`);
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new BadParameterError(`invalid address "${addr}": expected ":port" after "]"`);
      port = parsePort(after.slice(1), addr);
    }
    if (!isIPv6(host)) throw new BadParameterError(`invalid address "${addr}": "${host}" is not an IPv6 address`);
    return { host, port };
  }
  if (isIPv6(rest)) return { host: rest, port }; // bare IPv6 without a port
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    port = parsePort(rest.slice(colon + 1), addr);
    rest = rest.slice(0, colon);
  }
  host = rest;
  if (host === '') {
    if (defaults.defaultHost === undefined) throw new BadParameterError(`invalid address "${addr}": the host is missing`);
    host = defaults.defaultHost;
  }
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    throw new BadParameterError(`invalid address "${addr}": "${host}" is not a valid host name or IP address`);
  }
  return { host, port };
}

/** Formats an address as "host:port", bracketing IPv6 hosts. */
export function formatHostPort(addr: HostPort): string {
  return isIPv6(addr.host) ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/** Parses and re-formats an address, filling in defaults: "example.com" becomes "example.com:3080". */
export function normalizeAddr(text: string, defaults: AddrDefaults): string {
  return formatHostPort(parseHostPort(text, defaults));
}
