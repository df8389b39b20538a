/**
 * @module proxy/ssh/context
 * What the channel handlers (direct-tcpip, the proxy subsystem) know about the authenticated
 * connection they serve, and the one routing step both share: resolve the target to a registered
 * node, then dial it. Both then either pipe bytes to the node or, when the forwarder says the proxy
 * must see the session, hand the stream to the forwarding server ({@link connectToNode}).
 */
import type { Duplex } from 'node:stream';
import type { Connection, ServerChannel } from 'ssh2';
import type { Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';
import type { AuditSink } from './audit.ts';
import type { NodeDialer } from './forward.ts';
import type { SessionForwarder } from './forwardServer.ts';
import type { NodeResolver, NodeTarget } from './nodeResolver.ts';
import type { AuthenticatedUser } from './userAuth.ts';

/** An authenticated client connection, as its channel handlers see it. */
export interface ProxyConnection {
  conn: Connection;
  who: AuthenticatedUser;
  /** The client's "ip:port", and its IP alone (for source-address pinned certificates). */
  remoteAddr: string;
  remoteIP: string;
  /** Host UUID of this proxy (for events). */
  proxyId: string;
  logger: Logger;
  audit: AuditSink;
  /** Resolves `target` and dials the node; rejects with a TeleportError whose message is for the user. */
  route(target: NodeTarget, clientAddr?: string): Promise<{ node: Server; stream: Duplex }>;
  /** Terminates SSH at the proxy for nodes that need it (recording mode proxy, agentless nodes). */
  forwarder?: SessionForwarder;
  /** Registers a live pipe so closing the connection (or the proxy) tears it down; returns the unregister function. */
  track(teardown: () => void): () => void;
}

/** Builds the routing step over a resolver and a dialer; `signal` aborts dials when the proxy closes. */
export function nodeRouter(resolver: NodeResolver, dial: NodeDialer, signal: AbortSignal): ProxyConnection['route'] {
  return async (target, clientAddr) => {
    const node = await resolver.resolve(target);
    const stream = await dial(node, signal, clientAddr);
    return { node, stream };
  };
}

/** What a channel handler does with a routed client stream. */
export interface ConnectedNode {
  node: Server;
  /** Joins the accepted client stream to the node; returns the teardown (registered with track). */
  join(stream: ServerChannel, hooks: { onClose: (err?: Error) => void; onNodeEnd?: () => void; onNodeError?: (err: Error) => void }): () => void;
  /** Drops the dialled node connection (the client went away first). */
  abandon(): void;
  /** True when the proxy terminates SSH for this node. */
  terminated: boolean;
}

/**
 * Routes `target` and decides how to serve it: a byte pipe (`pipe`, i.e. forward.ts bridge)
 * or the forwarding server. Rejects with a message for the user; nothing is left open then.
 */
export async function connectToNode(
  pc: ProxyConnection,
  target: NodeTarget,
  pipe: (stream: ServerChannel, node: Duplex, hooks: Parameters<ConnectedNode['join']>[1]) => () => void,
): Promise<ConnectedNode> {
  // The client's address goes along so a tunnel node sees who connected (source-address pinning).
  const { node, stream: nodeStream } = await pc.route(target, pc.remoteAddr);
  let plan;
  try {
    plan = await pc.forwarder?.prepare(node);
  } catch (err) {
    nodeStream.destroy();
    throw err;
  }
  const forwarder = pc.forwarder;
  return {
    node,
    terminated: plan !== undefined,
    abandon: () => nodeStream.destroy(),
    join: (stream, hooks) => (plan && forwarder
      ? forwarder.serve(plan, stream, nodeStream, pc, () => {
        hooks.onNodeEnd?.();
        hooks.onClose();
      })
      : pipe(stream, nodeStream, hooks)),
  };
}
