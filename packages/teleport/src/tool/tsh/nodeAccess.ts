/**
 * @module tool/tsh/nodeAccess
 * Getting from "the user typed root@node1" to an authenticated SSH connection on that node: the
 * login is checked against the certificate, the node is looked up in the list auth returns (so a
 * typo is "node 'db-7' not found; 'tsh ls' lists nodes" before anything is dialed, and the node's
 * UUID is what the proxy is asked for), then the proxy relays a stream that the node authenticates.
 */
import type { Client } from 'ssh2';
import { isAccessDenied, isErrorCode, isNotFound } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { hostCertNames, nodePort, resolveNode } from '../../client/ssh/nodes.ts';
import { connectNode, type ProxyClient } from '../../client/ssh/proxyClient.ts';
import { DEFAULT_NODE_PORT } from '../../client/ssh/target.ts';
import { checkLoginAllowed } from '../../client/ssh/userCert.ts';
import { authClientFor, clockOf, connectProxy, type ClusterAccess } from './cluster.ts';
import type { TshContext } from './context.ts';

/**
 * The nodes the user may see, or undefined when auth cannot be asked (then tsh dials the name as
 * typed and lets the proxy decide). Only a successful, complete list is used to say "not found".
 */
export async function listNodesIfPossible(ctx: TshContext, access: ClusterAccess): Promise<Server[] | undefined> {
  try {
    return await authClientFor(ctx, access).listResources<Server>('node');
  } catch (err) {
    if (isAccessDenied(err) || isErrorCode(err, 'connection_problem') || isErrorCode(err, 'not_implemented')) return undefined;
    throw err;
  }
}

/** A node to connect to: what the user typed, and the node resource when known. */
export interface NodeRef {
  typed: string;
  node?: Server;
}

/**
 * Looks `name` up in the node list. The list holds only nodes the user's roles allow, so a name that
 * is missing from it is dialed anyway: the proxy answers "node 'x' not found" for nodes that do not
 * exist, and the node answers "access denied to login@node: ..." (with the role that decides) for
 * nodes the user may not reach, which is the message a person can act on.
 */
export async function findNode(ctx: TshContext, access: ClusterAccess, name: string): Promise<NodeRef> {
  const nodes = await listNodesIfPossible(ctx, access);
  if (!nodes) return { typed: name };
  try {
    return { typed: name, node: resolveNode(nodes, name, access.cluster) };
  } catch (err) {
    if (isNotFound(err)) return { typed: name };
    throw err;
  }
}

/** How to log in to a node. */
export interface NodeLogin {
  login: string;
  /** Explicit port; otherwise the node's advertised port, else 3022. */
  port?: number;
  /** ssh-agent socket to forward (-A). */
  agentForward?: string;
}

/** The node's display name. */
export function nodeDisplay(ref: NodeRef): string {
  return ref.node?.spec.hostname || ref.typed;
}

/** Connects to the node through an already connected proxy. */
export function dialNode(ctx: TshContext, access: ClusterAccess, proxy: ProxyClient, ref: NodeRef, how: NodeLogin): Promise<Client> {
  return connectNode(proxy, {
    node: ref.node?.metadata.name ?? ref.typed,
    port: how.port ?? nodePort(ref.node) ?? DEFAULT_NODE_PORT,
    names: hostCertNames(ref.typed, ref.node, access.cluster),
    display: nodeDisplay(ref),
    login: how.login,
    key: access.key,
    hostCAKeys: access.hostCAKeys,
    clock: clockOf(ctx),
    ...(how.agentForward && { agentForward: how.agentForward }),
  });
}

/** An open connection to one node, and how to close it with its proxy connection. */
export interface NodeConnection {
  conn: Client;
  proxy: ProxyClient;
  close(): void;
}

/** Checks the login, finds the node, connects to the proxy and then to the node. */
export async function openNode(ctx: TshContext, access: ClusterAccess, name: string, how: NodeLogin): Promise<NodeConnection> {
  checkLoginAllowed(access.cert, how.login, name);
  const ref = await findNode(ctx, access, name);
  const proxy = await connectProxy(ctx, access, how.login);
  try {
    const conn = await dialNode(ctx, access, proxy, ref, how);
    return { conn, proxy, close: () => { conn.end(); proxy.close(); } };
  } catch (err) {
    proxy.close();
    throw err;
  }
}
