/**
 * @module srv/ssh/forwarding
 * TCP port forwarding, each direction allowed only when the user's roles allow it
 * (`port_forwarding` / `ssh_port_forwarding.{local,remote}`) and the certificate carries
 * `permit-port-forwarding`:
 * - local (`ssh -L`, `ssh -D`): a `direct-tcpip` channel becomes a TCP connection from the node;
 * - remote (`ssh -R`): a `tcpip-forward` request opens a listener on the node's loopback (as sshd
 *   with GatewayPorts=no); each connection to it becomes a `forwarded-tcpip` channel to the client.
 * Forwards are audited (`port`, T3003I; refusals and failures T3003E).
 */
import net from 'node:net';
import type { AcceptConnection, RejectConnection, ServerChannel, TcpipBindInfo, TcpipRequestInfo } from 'ssh2';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import { joinHostPort } from './audit.ts';
import { connFields, type ConnContext } from './context.ts';

type Direction = 'local' | 'remote';

/** Why forwarding in `dir` is refused for this connection, or undefined when allowed. */
export function forwardingDenial(c: ConnContext, dir: Direction): string | undefined {
  if (!c.user.checker.canPortForward(dir)) {
    return `${dir} port forwarding is not allowed by your roles (${c.user.checker.roleNames().join(', ')}): ask for a role with port_forwarding enabled`;
  }
  if (!c.user.identity.permitPortForwarding) {
    return "your certificate does not permit port forwarding (no permit-port-forwarding extension): run 'tsh login' again after your roles changed";
  }
  return undefined;
}

function auditPort(c: ConnContext, addr: string, dir: Direction, error?: string): void {
  c.node.auditor.emit({
    event: EventTypes.portForward, code: error ? EventCodes.portForwardFailure : EventCodes.portForward, ...connFields(c),
    addr, direction: dir, success: !error, ...(error && { error }),
  });
}

/** Pipes a channel and a socket both ways, closing each when the other ends. */
function splice(channel: ServerChannel, sock: net.Socket): void {
  channel.pipe(sock).on('error', () => channel.destroy());
  sock.pipe(channel).on('error', () => sock.destroy());
  sock.on('error', () => channel.destroy());
  channel.on('error', () => sock.destroy());
  channel.once('close', () => sock.destroy());
  sock.once('close', () => channel.destroy());
}

/** Handles a `direct-tcpip` channel request (local forwarding). */
export function handleDirectTcpip(c: ConnContext, accept: AcceptConnection<ServerChannel>, reject: RejectConnection, info: TcpipRequestInfo): void {
  const addr = joinHostPort(info.destIP, info.destPort);
  const denial = forwardingDenial(c, 'local');
  if (denial) {
    auditPort(c, addr, 'local', denial);
    return reject();
  }
  const sock = net.connect({ host: info.destIP, port: info.destPort });
  sock.once('error', (err) => {
    auditPort(c, addr, 'local', `cannot connect to ${addr}: ${err.message}`);
    reject();
  });
  sock.once('connect', () => {
    sock.removeAllListeners('error');
    auditPort(c, addr, 'local');
    splice(accept(), sock);
  });
}

/** The `-R` listeners of one connection. */
export class RemoteForwards {
  private readonly listeners = new Map<string, net.Server>();

  constructor(private readonly c: ConnContext) {}

  /** Handles `tcpip-forward` and `cancel-tcpip-forward` global requests. */
  handle(name: string, info: TcpipBindInfo, accept?: (port?: number) => void, reject?: () => void): void {
    if (name === 'cancel-tcpip-forward') {
      const key = `${info.bindAddr}:${info.bindPort}`;
      const srv = this.listeners.get(key);
      this.listeners.delete(key);
      srv?.close();
      return srv ? accept?.() : reject?.();
    }
    if (name !== 'tcpip-forward') return reject?.();
    const shown = joinHostPort(info.bindAddr || 'localhost', info.bindPort);
    const denial = forwardingDenial(this.c, 'remote')
      ?? (info.bindPort !== 0 && info.bindPort < 1024 && this.c.user.osUser.uid !== 0 ? `only root may forward privileged port ${info.bindPort}` : undefined);
    if (denial) {
      auditPort(this.c, shown, 'remote', denial);
      return reject?.();
    }
    const srv = net.createServer((sock) => this.forward(info, srv, sock));
    srv.once('error', (err) => {
      auditPort(this.c, shown, 'remote', `cannot listen on ${shown}: ${err.message}`);
      reject?.();
    });
    srv.listen(info.bindPort, loopbackFor(info.bindAddr), () => {
      srv.removeAllListeners('error');
      srv.on('error', () => undefined);
      const port = (srv.address() as net.AddressInfo).port;
      this.listeners.set(`${info.bindAddr}:${info.bindPort}`, srv);
      auditPort(this.c, joinHostPort(info.bindAddr || 'localhost', port), 'remote');
      accept?.(port);
    });
  }

  /** Closes every listener (the connection ended). */
  close(): void {
    for (const srv of this.listeners.values()) srv.close();
    this.listeners.clear();
  }

  private forward(info: TcpipBindInfo, srv: net.Server, sock: net.Socket): void {
    const port = (srv.address() as net.AddressInfo | null)?.port ?? info.bindPort;
    sock.on('error', () => undefined);
    this.c.conn.forwardOut(info.bindAddr, port, sock.remoteAddress ?? '127.0.0.1', sock.remotePort ?? 0, (err, channel) => {
      if (err) return sock.destroy();
      splice(channel as ServerChannel, sock);
    });
  }
}

/** The node-side address a `-R` listener binds: always loopback (sshd's GatewayPorts=no). */
function loopbackFor(bindAddr: string): string {
  if (bindAddr === '::1' || bindAddr === 'ip6-localhost') return '::1';
  if (net.isIPv4(bindAddr) && bindAddr.startsWith('127.')) return bindAddr;
  return '127.0.0.1';
}
