/**
 * @module proxy/ssh/sshWire
 * Two SSH messages the forwarding server sends that ssh2 1.17's Server has no public API for:
 * SSH_MSG_USERAUTH_BANNER during authentication (RFC 4252 §5.4), so that a client refused because
 * the node refused the login learns why, and opening an `auth-agent@openssh.com` channel to the
 * client (OpenSSH PROTOCOL.agent) for agent forwarding. Both reach into ssh2 internals
 * (`_protocol`, `_chanMgr`, lib/protocol/utils.js) as ssh2's own server.js does; the node service
 * does the same in srv/ssh/wire.ts (candidates to share from sshutils). The proxy's OpenSSH tests
 * fail if an ssh2 upgrade moves them.
 */
import { createRequire } from 'node:module';
import type { Channel, Connection } from 'ssh2';

interface PacketWriter {
  allocStart: number;
  alloc(len: number, forceKEX?: boolean): Buffer;
  finalize(packet: Buffer, forceKEX?: boolean): Buffer;
}

interface ProtocolInternals {
  _packetRW: { write: PacketWriter };
  openssh_authAgent(chan: number, initWindow: number, maxPacket: number): void;
}

type OpenCallback = ((err: Error | undefined, channel?: Channel) => void) & { type?: string };

interface ConnectionInternals {
  _protocol?: ProtocolInternals;
  _chanMgr?: { add(cb: OpenCallback): number };
}

const require = createRequire(import.meta.url);
// ssh2 has no "exports" map, so its internal modules may be required by path.
const { sendPacket } = require('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: ProtocolInternals, packet: Buffer, bypass?: boolean) => boolean;
};

const MSG_USERAUTH_BANNER = 53;
/** ssh2's channel defaults (lib/Channel.js), which its CHANNEL_OPEN_CONFIRMATION handler assumes. */
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

const internals = (conn: Connection): ConnectionInternals => conn as unknown as ConnectionInternals;

/** Sends SSH_MSG_USERAUTH_BANNER (string message, string language); OpenSSH prints it on stderr. */
export function sendAuthBanner(conn: Connection, message: string): void {
  const proto = internals(conn)._protocol;
  if (!proto) return;
  // eslint-disable-next-line no-control-regex -- terminal-safe text: no control characters but newlines
  const text = `${message.replace(/[\x00-\x09\x0b-\x1f\x7f]/g, ' ').slice(0, 2000).trimEnd().replace(/\r?\n/g, '\r\n')}\r\n`;
  const w = proto._packetRW.write;
  const p = w.allocStart;
  const len = Buffer.byteLength(text);
  const packet = w.alloc(1 + 4 + len + 4);
  packet[p] = MSG_USERAUTH_BANNER;
  packet.writeUInt32BE(len, p + 1);
  packet.write(text, p + 5, len, 'utf8');
  packet.writeUInt32BE(0, p + 5 + len);
  sendPacket(proto, w.finalize(packet));
}

/**
 * Asks the client to open an `auth-agent@openssh.com` channel, which it connects to its own agent.
 * Rejects when the client refuses (it forwards no agent).
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
