/**
 * @module client/ssh/nodes
 * Finding nodes in the list auth returns (already filtered by the user's roles): by the name the
 * user typed (hostname, host UUID or address) or by a label selector, and the names a node's host
 * certificate may list, which tsh accepts when verifying it.
 */
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import { serverLabels, type Server } from '@teleport-ts/api/types/server';
import { labelsMatch } from './target.ts';

/** Orders nodes by hostname, then UUID. */
export function sortNodes(nodes: Server[]): Server[] {
  return [...nodes].sort((a, b) => a.spec.hostname.localeCompare(b.spec.hostname) || a.metadata.name.localeCompare(b.metadata.name));
}

/** Nodes whose labels (static and command) match every selector label. */
export function matchNodes(nodes: Server[], selector: Record<string, string>): Server[] {
  return sortNodes(nodes.filter((n) => labelsMatch(serverLabels(n), selector)));
}

function addrHost(addr: string): string {
  return addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}

/**
 * The node `name` refers to: its UUID, its hostname (case-insensitively, as OpenSSH lowercases
 * names), either with ".<cluster>" appended, or its address (host or host:port). Throws
 * NotFoundError with a "tsh ls" hint, or BadParameterError when several nodes share the hostname.
 */
export function resolveNode(nodes: Server[], name: string, cluster = ''): Server {
  const want = name.toLowerCase();
  const suffix = `.${cluster.toLowerCase()}`;
  const candidates = cluster && want.endsWith(suffix) && want.length > suffix.length ? [want, want.slice(0, -suffix.length)] : [want];
  for (const n of candidates) {
    const byId = nodes.find((node) => node.metadata.name.toLowerCase() === n);
    if (byId) return byId;
    const byHost = nodes.filter((node) => node.spec.hostname.toLowerCase() === n);
    if (byHost.length === 1) return byHost[0] as Server;
    if (byHost.length > 1) {
      throw new BadParameterError(`${byHost.length} nodes are named '${name}' (${byHost.map((node) => node.metadata.name).join(', ')}): ` +
        "connect by node ID instead ('tsh ls -v' shows them)");
    }
  }
  const byAddr = nodes.filter((n) => n.spec.addr && (n.spec.addr === name || addrHost(n.spec.addr) === name));
  if (byAddr.length === 1) return byAddr[0] as Server;
  throw new NotFoundError(`node '${name}' not found; 'tsh ls' lists nodes`);
}

/** Names a node's host certificate may carry: what was typed, its UUID and hostname, each with and without ".<cluster>". */
export function hostCertNames(typed: string, node: Server | undefined, cluster: string): string[] {
  const base = [typed, ...(node ? [node.metadata.name, node.spec.hostname] : [])].filter(Boolean);
  const names = [...base, ...(cluster ? base.map((n) => `${n}.${cluster}`) : [])];
  return [...new Set(names)];
}

/** The port of a node's advertised address, if it has one. */
export function nodePort(node: Server | undefined): number | undefined {
  const m = node?.spec.addr ? /:(\d+)$/.exec(node.spec.addr) : null;
  return m ? Number(m[1]) : undefined;
}
