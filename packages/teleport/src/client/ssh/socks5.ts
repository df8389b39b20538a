/**
 * @module client/ssh/socks5
 * The small part of SOCKS5 (RFC 1928) that `tsh ssh -D` needs: no authentication and CONNECT to an
 * IPv4, IPv6 or domain-name destination. The codec functions are pure; {@link serveSOCKS5} runs one
 * client connection and hands the destination to a dial function (a direct-tcpip channel on the node).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import { splice } from './splice.ts';

/** SOCKS5 reply codes we send. */
export const SOCKS_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const VERSION = 0x05;
const METHOD_NO_AUTH = 0x00;
const METHOD_NONE_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;

/**
 * Parses the greeting `VER NMETHODS METHODS...`. Returns undefined until enough bytes arrived, and
 * throws on a version other than 5.
 */
export function parseGreeting(buf: Buffer): { methods: number[]; length: number } | undefined {
  if (buf.length < 2) return undefined;
  if (buf[0] !== VERSION) throw new Error(`not a SOCKS5 client (version byte ${buf[0]})`);
  const n = buf[1] as number;
  if (buf.length < 2 + n) return undefined;
  return { methods: [...buf.subarray(2, 2 + n)], length: 2 + n };
}

/** The method-selection reply: no authentication, or "no acceptable methods". */
export function greetingReply(methods: number[]): Buffer {
  return Buffer.from([VERSION, methods.includes(METHOD_NO_AUTH) ? METHOD_NO_AUTH : METHOD_NONE_ACCEPTABLE]);
}

/** A parsed request `VER CMD RSV ATYP DST.ADDR DST.PORT`. */
export interface SOCKSRequest {
  command: number;
  /** 1 IPv4, 3 domain name, 4 IPv6. */
  addressType: number;
  host: string;
  port: number;
  length: number;
}

/** Parses a request; undefined until complete. Unknown address types come back with host "". */
export function parseRequest(buf: Buffer): SOCKSRequest | undefined {
  if (buf.length < 5) return undefined;
  if (buf[0] !== VERSION) throw new Error(`bad SOCKS5 request version ${buf[0]}`);
  const command = buf[1] as number;
  const addressType = buf[3] as number;
  let addrLen: number;
  let start = 4;
  if (addressType === 0x01) addrLen = 4;
  else if (addressType === 0x04) addrLen = 16;
  else if (addressType === 0x03) {
    addrLen = buf[4] as number;
    start = 5;
  } else return { command, addressType, host: '', port: 0, length: buf.length };
  const end = start + addrLen;
  if (buf.length < end + 2) return undefined;
  const raw = buf.subarray(start, end);
  let host: string;
  if (addressType === 0x01) host = [...raw].join('.');
  else if (addressType === 0x04) host = (raw.toString('hex').match(/.{4}/g) ?? []).join(':');
  else host = raw.toString('utf8');
  return { command, addressType, host, port: buf.readUInt16BE(end), length: end + 2 };
}

/** A reply `VER REP RSV ATYP BND.ADDR BND.PORT`, with the bound address given when known. */
export function requestReply(code: number, bound: { host: string; port: number } = { host: '0.0.0.0', port: 0 }): Buffer {
  let atyp = 0x01;
  let addr: Buffer = Buffer.from([0, 0, 0, 0]);
  if (isIPv4(bound.host)) addr = Buffer.from(bound.host.split('.').map(Number));
  else if (isIPv6(bound.host)) {
    atyp = 0x04;
    addr = ipv6Bytes(bound.host);
  }
  const port = Buffer.alloc(2);
  port.writeUInt16BE(bound.port);
  return Buffer.concat([Buffer.from([VERSION, code, 0x00, atyp]), addr, port]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/** Opens the outgoing stream for a CONNECT; rejects when the destination cannot be reached. */
export type SOCKSDial = (host: string, port: number) => Promise<Duplex>;

/**
 * Runs the SOCKS5 exchange on `client`, then pipes it to the stream `dial` opens. Resolves with the
 * destination, or undefined when the client was refused (the socket is then closed).
 */
export async function serveSOCKS5(client: Duplex, dial: SOCKSDial): Promise<{ host: string; port: number } | undefined> {
  let buf = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  const onData = (d: Buffer): void => {
    buf = Buffer.concat([buf, d]);
    waiter?.();
  };
  const onEnd = (): void => waiter?.();
  client.on('data', onData);
  client.on('end', onEnd);
  client.on('error', onEnd);
  const next = <T>(parse: (b: Buffer) => T | undefined): Promise<T | undefined> => new Promise((resolve, reject) => {
    const attempt = (): void => {
      try {
        const r = parse(buf);
        if (r !== undefined) {
          waiter = undefined;
          return resolve(r);
        }
        if (client.readableEnded || client.destroyed) return resolve(undefined);
      } catch (err) {
        return reject(err as Error);
      }
    };
    waiter = attempt;
    attempt();
  });
  try {
    const greeting = await next(parseGreeting);
    if (!greeting) return refuse(client);
    buf = buf.subarray(greeting.length);
    const reply = greetingReply(greeting.methods);
    client.write(reply);
    if (reply[1] === METHOD_NONE_ACCEPTABLE) return refuse(client);
    const req = await next(parseRequest);
    if (!req) return refuse(client);
    buf = buf.subarray(req.length);
    if (req.command !== CMD_CONNECT) return refuse(client, SOCKS_REPLY.commandNotSupported);
    if (!req.host) return refuse(client, SOCKS_REPLY.addressTypeNotSupported);
    let upstream: Duplex;
    try {
      upstream = await dial(req.host, req.port);
    } catch {
      return refuse(client, SOCKS_REPLY.connectionRefused);
    }
    client.off('data', onData);
    client.off('end', onEnd);
    client.off('error', onEnd);
    client.write(requestReply(SOCKS_REPLY.succeeded));
    if (buf.length > 0) upstream.write(buf); // bytes the client sent right after its request
    splice(client, upstream);
    return { host: req.host, port: req.port };
  } catch {
    return refuse(client);
  }
}

function refuse(client: Duplex, code?: number): undefined {
  if (code !== undefined && !client.destroyed) client.end(requestReply(code));
  else client.destroy();
  return undefined;
}
