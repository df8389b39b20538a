/**
 * @module proxy/ssh/context
 * What the channel handlers (direct-tcpip, the proxy subsystem) know about the authenticated
 * connection they serve, and the one routing step both share: resolve the target to a registered
 * node, then dial it.
 */
import type { Duplex } from 'node:stream';
import type { Connection } from 'ssh2';
import type { Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';
import type { AuditSink } from './audit.ts';
import type { NodeDialer } from './forward.ts';
import type { NodeResolver, NodeTarget } from './nodeResolver.ts';
import type { AuthenticatedUser } from './userAuth.ts';

/** An authenticated client connection, as its channel handlers see it. */
export interface ProxyConnection {
  conn: Connection;
  who: AuthenticatedUser;
  /** The client's "ip:port". */
  remoteAddr: string;
  /** Host UUID of this proxy (for events). */
  proxyId: string;
  logger: Logger;
  audit: AuditSink;
  /** Resolves `target` and dials the node; rejects with a TeleportError whose message is for the user. */
  route(target: NodeTarget): Promise<{ node: Server; stream: Duplex }>;
  /** Registers a live pipe so closing the connection (or the proxy) tears it down; returns the unregister function. */
  track(teardown: () => void): () => void;
}

/** Builds the routing step over a resolver and a dialer; `signal` aborts dials when the proxy closes. */
export function nodeRouter(resolver: NodeResolver, dial: NodeDialer, signal: AbortSignal): ProxyConnection['route'] {
  return async (target) => {
    const node = await resolver.resolve(target);
    const stream = await dial(node, signal);
    return { node, stream };
  };
}
