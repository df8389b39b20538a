/**
 * @module proxy/ssh/forwardPorts
 * Everything on a forwarded connection that is not a session: local port forwarding (the client's
 * `direct-tcpip`, `ssh -L`/`-W`) becomes a direct-tcpip channel from the node; remote forwarding
 * (`tcpip-forward`, `ssh -R`) is asked of the node, and the node's `forwarded-tcpip` channels are
 * passed back to the client; agent forwarding (`ssh -A`) answers the node's `auth-agent@openssh.com`
 * channels with channels to the client's agent. The node enforces the certificate's permit-*
 * extensions (the re-issued certificate carries the original's); the proxy audits port forwards.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AcceptConnection, ClientChannel, Connection, RejectConnection, ServerChannel, TcpipBindInfo, TcpipRequestInfo } from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { ForwardedConnection } from './forwardContext.ts';
import { rejectChannelOpen } from '../../sshutils/ssh2Internals.ts';
import { openAgentChannel } from '../../sshutils/ssh2Internals.ts';

/** Joins two channels both ways; either closing closes the other. */
export function joinChannels(a: Duplex, b: Duplex): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b).pipe(a);
  // resume(): an ssh2 channel emits 'close' only after its readable side ended, and pipe() stopped reading it.
  a.once('close', () => b.destroy().resume());
  b.once('close', () => a.destroy().resume());
}

/** The client's direct-tcpip (`ssh -L`): opened from the node to the destination. */
export function handleForwardedTcpip(fc: ForwardedConnection, accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo): void {
  const dest = `${info.destIP}:${info.destPort}`;
  fc.nodeClient.forwardOut(info.srcIP, info.srcPort, info.destIP, info.destPort, (err, nodeChannel) => {
    if (err) {
      const message = `node '${fc.node.spec.hostname}' refused to forward to ${dest}: ${errorMessage(err)}`;
      fc.audit({ event: EventTypes.portForward, code: EventCodes.portForwardFailure, ...fc.fields, 'addr.local': dest, error: message });
      return rejectChannelOpen(fc.conn, reject, message);
    }
    const channel = accept();
    if (!channel) return void nodeChannel.close();
    fc.audit({ event: EventTypes.portForward, code: EventCodes.portForward, ...fc.fields, 'addr.local': dest });
    joinChannels(channel, nodeChannel);
  });
}

/** Global requests: tcpip-forward and cancel-tcpip-forward (`ssh -R`) go to the node; others are refused. */
export function handleForwardedRequest(
  fc: ForwardedConnection, accept: ((chosenPort?: number) => void) | undefined, reject: (() => void) | undefined, name: string, info: TcpipBindInfo,
): void {
  if (name === 'tcpip-forward') {
    fc.nodeClient.forwardIn(info.bindAddr, info.bindPort, (err, port) => {
      const bound = `${info.bindAddr}:${port || info.bindPort}`;
      fc.audit({
        event: EventTypes.portForward, code: err ? EventCodes.portForwardFailure : EventCodes.portForward, ...fc.fields, 'addr.local': bound,
        remote: true, ...(err && { error: errorMessage(err) }),
      });
      if (err) reject?.();
      else accept?.(port);
    });
  } else if (name === 'cancel-tcpip-forward') {
    fc.nodeClient.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
  } else {
    reject?.();
  }
}

/** Passes the node's forwarded-tcpip channels (connections to an `ssh -R` port) to the client. */
export function relayRemoteForwards(fc: ForwardedConnection): void {
  fc.nodeClient.on('tcp connection', (details, accept: AcceptConnection<ClientChannel>, reject: RejectConnection) => {
    fc.conn.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel) => {
      if (err) return reject();
      joinChannels(channel, accept());
    });
  });
}

/**
 * The agent the node client offers: it cannot list or sign itself; each `auth-agent@openssh.com`
 * channel the node opens is answered by one to the client's agent, once a session of this
 * connection asked for agent forwarding.
 */
export class ClientAgent extends ssh2.BaseAgent {
  constructor(private readonly conn: () => Connection | undefined, private readonly requested: () => boolean) {
    super();
  }

  getIdentities(cb: (err: Error | undefined, keys?: Buffer[]) => void): void {
    cb(new Error('the proxy holds no agent keys of its own'));
  }

  sign(_key: unknown, _data: Buffer, optsOrCb: unknown, cb?: (err: Error | undefined, sig?: Buffer) => void): void {
    const done = typeof optsOrCb === 'function' ? (optsOrCb as (err: Error | undefined) => void) : cb;
    done?.(new Error('the proxy holds no agent keys of its own'));
  }

  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    const conn = this.conn();
    if (!conn || !this.requested()) return cb(new Error('the client did not ask for agent forwarding'));
    openAgentChannel(conn).then((channel) => cb(undefined, channel), (err: Error) => cb(err));
  }
}
