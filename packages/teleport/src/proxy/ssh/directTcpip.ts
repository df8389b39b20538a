/**
 * @module proxy/ssh/directTcpip
 * The `direct-tcpip` channel (RFC 4254 §7.2), which OpenSSH opens for ProxyJump (`ssh -J`) and
 * `-W host:port`: "string host to connect, uint32 port to connect, string originator IP, uint32
 * originator port". The host must be a registered node (by hostname, UUID, `<name>.<cluster>` or its
 * address); arbitrary destinations are refused, so the proxy is no open relay. A refusal carries its
 * reason in the channel-open failure, which OpenSSH prints ("open failed: connect failed: ...").
 * In proxy recording mode (and for agentless nodes) the channel is served by the forwarding server
 * instead of a byte pipe.
 */
import type { AcceptConnection, RejectConnection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { sessionConnectEvent } from './audit.ts';
import { connectToNode, type ProxyConnection } from './context.ts';
import { bridge, describeNode } from './forward.ts';
import { rejectChannelOpen } from '../../sshutils/ssh2Internals.ts';

/** Handles one direct-tcpip request on an authenticated connection. */
export function handleDirectTcpip(
  pc: ProxyConnection,
  accept: AcceptConnection<ServerChannel>,
  reject: RejectConnection,
  info: TcpipRequestInfo,
): void {
  const target = { host: info.destIP, port: info.destPort };
  const log = pc.logger.child({ user: pc.who.user, login: pc.who.login, target: `${info.destIP}:${info.destPort}`, via: 'direct-tcpip' });
  connectToNode(pc, target, bridge).then((c) => {
    const channel = accept();
    if (!channel) return c.abandon(); // the connection went away while dialling
    log.info({ node: c.node.metadata.name, terminated: c.terminated }, `connected to node ${describeNode(c.node)}`);
    pc.audit(sessionConnectEvent({ user: pc.who.user, login: pc.who.login, node: c.node, remoteAddr: pc.remoteAddr, proxyId: pc.proxyId, via: 'direct-tcpip' }));
    const untrack = pc.track(c.join(channel, {
      onClose: (err) => {
        untrack();
        log.debug({ err: err?.message }, 'forwarding ended');
      },
    }));
  }, (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    log.info(`refused: ${message}`);
    rejectChannelOpen(pc.conn, reject, message);
  });
}
