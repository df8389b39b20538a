/**
 * @module reversetunnel/nodeDialer
 * How the proxy's SSH listener reaches a node once reverse tunnels exist: through the node's tunnel
 * when it has one to this proxy, else over TCP to its registered address, else a message that says
 * the node is offline or connected to another proxy.
 */
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { dialNodeTCP, type NodeDialer } from '../proxy/ssh/forward.ts';
import type { ReverseTunnelServer } from './server.ts';

/** A NodeDialer that prefers `tunnel` and falls back to `direct` (TCP to spec.addr by default). */
export function tunnelNodeDialer(tunnel: Pick<ReverseTunnelServer, 'isConnected' | 'dial'>, direct: NodeDialer = dialNodeTCP): NodeDialer {
  return (node, signal, clientAddr) => {
    const id = node.metadata.name;
    if (tunnel.isConnected(id)) return tunnel.dial(id, { type: 'node', target: id, ...(clientAddr && { client_addr: clientAddr }) });
    if (node.spec.addr) return direct(node, signal);
    return Promise.reject(new ConnectionProblemError(
      `node ${node.spec.hostname} is offline or not connected to this proxy: it has no address and no reverse tunnel here ` +
        "(check that its Teleport service is running and can reach the proxy's tunnel port)",
    ));
  };
}
