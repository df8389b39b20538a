/**
 * @module sshutils/ssh2Internals
 * SSH messages the node service and the proxy need that ssh2 1.17's server has no public API for:
 * - SSH_MSG_USERAUTH_BANNER at any point of authentication (RFC 4252 §5.4), to tell a refused
 *   user why (ssh2 only sends the static `banner` option, once);
 * - SSH_MSG_DISCONNECT with a description (RFC 4253 §11.1), so a terminated client prints why
 *   (ssh2's `end()` sends an empty one);
 * - opening an `auth-agent@openssh.com` channel to the client for agent forwarding (ssh2's
 *   Protocol has `openssh_authAgent` but its Server never calls it).
 * - a channel-open failure with a description (ssh2's `reject()` always sends an empty one).
 * Each reaches into ssh2 internals (`_protocol`, `_chanMgr`, lib/protocol/utils.js), exactly as ssh2's
 * own server.js does; the node's and the proxy's OpenSSH tests fail if an ssh2 upgrade moves them.
 * Shared here so there is one place to patch.
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { Channel, Connection } from 'ssh2';

/** ssh2's packet writer, as Protocol uses it. */
interface PacketWriter {
  allocStart: number;
  allocStartKEX: number;
  alloc(len: number, forceKEX?: boolean): Buffer;
  finalize(packet: Buffer, forceKEX?: boolean): Buffer;
}

/** The parts of ssh2's Protocol object used here. */
interface ProtocolInternals {
  _packetRW: { write: PacketWriter };
  openssh_authAgent(chan: number, initWindow: number, maxPacket: number): void;
}

/** A channel-open callback as ssh2's channel manager stores it (`type` names the channel). */
type OpenCallback = ((err: Error | undefined, channel?: Channel) => void) & { type?: string };

/** A connection's transport: a TCP socket, or another stream (e.g. a tunnel) without addresses. */
export type ConnectionSocket = Duplex & { localAddress?: string; localPort?: number; remoteAddress?: string; remotePort?: number; setNoDelay?: (noDelay?: boolean) => unknown };

/** The parts of ssh2's server-side client connection used here. */
interface ConnectionInternals {
  _protocol?: ProtocolInternals;
  _sock?: { writable?: boolean; end(): void };
  _chanMgr?: { add(cb: OpenCallback): number };
}

const requireFromHere = createRequire(import.meta.url);
// ssh2 has no "exports" map, so its internal modules may be required by path.
const { sendPacket } = requireFromHere('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: ProtocolInternals, packet: Buffer, bypass?: boolean) => boolean;
};

const MSG_DISCONNECT = 1;
const MSG_USERAUTH_BANNER = 53;
/** ssh2's defaults (lib/Channel.js); its CHANNEL_OPEN_CONFIRMATION handler assumes them. */
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

/** SSH_DISCONNECT reason codes used by the node. */
export const DisconnectReason = {
  byApplication: 11,
  noMoreAuthMethods: 14,
  illegalUserName: 15,
} as const;

function internals(conn: Connection): ConnectionInternals {
  return conn as unknown as ConnectionInternals;
}

/** Writes `string` fields (uint32 length + UTF-8) into `packet` at `p`; returns the next offset. */
function writeStrings(packet: Buffer, p: number, values: string[]): number {
  for (const v of values) {
    const len = Buffer.byteLength(v);
    packet.writeUInt32BE(len, p);
    packet.write(v, p + 4, len, 'utf8');
    p += 4 + len;
  }
  return p;
}

/** Terminal-safe text: no control characters except newlines, CRLF line ends, capped length. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x09\x0b-\x1f\x7f]/g, ' ').slice(0, 4000);
  return clean.replace(/\r?\n/g, '\r\n');
}

/**
 * Sends SSH_MSG_USERAUTH_BANNER (string message, string language). OpenSSH prints it on stderr
 * (at its default log level) before "Permission denied", so a refused user sees the reason.
 * Only valid before authentication succeeds.
 */
export function sendAuthBanner(conn: Connection, message: string): void {
  const proto = internals(conn)._protocol;
  if (!proto) return;
  const text = `${printable(message.trimEnd())}\r\n`;
  const w = proto._packetRW.write;
  const p = w.allocStart;
  const packet = w.alloc(1 + 4 + Buffer.byteLength(text) + 4);
  packet[p] = MSG_USERAUTH_BANNER;
  writeStrings(packet, p + 1, [text, '']);
  sendPacket(proto, w.finalize(packet));
}

/**
 * Sends SSH_MSG_DISCONNECT (uint32 reason, string description, string language) and closes the
 * socket. OpenSSH prints "Received disconnect from <addr> port <port>:<reason>: <description>".
 */
export function disconnectWithMessage(conn: Connection, message: string, reason: number = DisconnectReason.byApplication): void {
  const c = internals(conn);
  const proto = c._protocol;
  if (!proto || !c._sock?.writable) {
    conn.end();
    return;
  }
  const text = printable(message).replace(/\r\n/g, ' ');
  const w = proto._packetRW.write;
  // Like ssh2's own disconnect(): KEX-safe allocation, since this may be sent during a rekey.
  const p = w.allocStartKEX;
  const packet = w.alloc(1 + 4 + 4 + Buffer.byteLength(text) + 4, true);
  packet[p] = MSG_DISCONNECT;
  packet.writeUInt32BE(reason, p + 1);
  writeStrings(packet, p + 5, [text, '']);
  sendPacket(proto, w.finalize(packet, true), true);
  c._sock.end();
}

/** The socket under a server-side ssh2 connection (for its local address and to destroy it). */
export function connectionSocket(conn: Connection): ConnectionSocket | undefined {
  return (conn as unknown as { _sock?: ConnectionSocket })._sock;
}

/**
 * Asks the client to open an `auth-agent@openssh.com` channel (OpenSSH PROTOCOL.agent): the
 * client connects it to its own agent. Resolves with the channel, or rejects when the client
 * refuses (e.g. it did not forward an agent).
 */
export function openAgentChannel(conn: Connection): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const c = internals(conn);
    if (!c._protocol || !c._chanMgr) return reject(new Error('ssh2 internals not found: cannot open an agent channel'));
    const cb: OpenCallback = (err, channel) => (err || !channel ? reject(err ?? new Error('agent channel not opened')) : resolve(channel));
    cb.type = 'auth-agent@openssh.com';
    const local = c._chanMgr.add(cb);
    if (local === -1) return reject(new Error('no free SSH channels for the agent connection'));
    c._protocol.openssh_authAgent(local, MAX_WINDOW, PACKET_SIZE);
  });
}

/** The part of ssh2's Protocol the reject shim below reaches into. */
interface ChannelOpenFailProtocol {
  channelOpenFail?: (recipient: number, reason: number, description: string) => void;
}

/**
 * Rejects a channel open request with a description the client shows ("open failed: connect failed:
 * node 'db-7' not found; ..."). ssh2 1.17's `reject()` always sends an empty description, so the
 * protocol's channelOpenFail is wrapped for the duration of the (synchronous) reject call. If a
 * future ssh2 moves it, this degrades to a plain reject.
 */
export function rejectChannelOpen(conn: Connection, reject: () => void, description: string): void {
  const proto = (conn as unknown as { _protocol?: ChannelOpenFailProtocol })._protocol;
  const original = proto?.channelOpenFail;
  if (!proto || typeof original !== 'function') return reject();
  proto.channelOpenFail = (recipient, reason) => original.call(proto, recipient, reason, description);
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}
