/**
 * @module proxy/ssh/nodeResolver
 * Which registered node a client means by "host:port": the proxy's node cache (fed by the auth
 * service's watch stream) and the matching rules. A client may name a node by its hostname, its
 * host UUID, either of those followed by ".<cluster>", or the address it registered (spec.addr).
 * Hostnames are compared case-insensitively because OpenSSH lowercases the host it is given. When
 * a hostname fits several nodes, the requested port may single one out; otherwise the error lists
 * the UUIDs to use instead. Labels are not resolved here: tsh lists nodes by label and connects to
 * each by UUID.
 */
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';
import { ResourceCache, type WatchSource } from './resourceCache.ts';

/** What a client asked to reach. */
export interface NodeTarget {
  /** Hostname, UUID, `<name>.<cluster>` or address; IPv6 may be in brackets. */
  host: string;
  /** Requested port; 0 when none was given. */
  port: number;
}

/** The host and port of a "host:port" address (IPv6 in brackets); port 0 when absent. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[([^\]]*)\](?::(\d*))?$/.exec(addr) ?? /^([^:]*)(?::(\d*))?$/.exec(addr);
  if (!m) return { host: addr, port: 0 }; // a bare IPv6 address without brackets
  return { host: m[1] ?? '', port: m[2] ? Number(m[2]) : 0 };
}

const isLive = (n: Server, nowMs: number): boolean => !n.metadata.expires || Date.parse(n.metadata.expires) > nowMs;

/**
 * Picks the node `target` names among `nodes` (already filtered to live ones). Throws NotFoundError
 * ("node 'db-7' not found; 'tsh ls' lists nodes") or, for a hostname shared by several nodes that
 * the port does not tell apart, BadParameterError listing their UUIDs.
 */
export function matchNode(nodes: readonly Server[], target: NodeTarget, clusterName: string): Server {
  const want = target.host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const suffix = `.${clusterName.toLowerCase()}`;
  const names = want.endsWith(suffix) && want.length > suffix.length ? [want, want.slice(0, -suffix.length)] : [want];
  for (const name of names) {
    const byId = nodes.find((n) => n.metadata.name.toLowerCase() === name);
    if (byId) return byId;
    const byHost = nodes.filter((n) => n.spec.hostname.toLowerCase() === name);
    if (byHost.length === 1 && byHost[0]) return byHost[0];
    if (byHost.length > 1) {
      const onPort = byHost.filter((n) => target.port !== 0 && splitHostPort(n.spec.addr).port === target.port);
      if (onPort.length === 1 && onPort[0]) return onPort[0];
      throw ambiguous(target.host, byHost);
    }
  }
  const byAddr = nodes.filter((n) => {
    const a = splitHostPort(n.spec.addr);
    return a.host.toLowerCase() === want && (target.port === 0 || a.port === target.port);
  });
  if (byAddr.length === 1 && byAddr[0]) return byAddr[0];
  if (byAddr.length > 1) throw ambiguous(target.host, byAddr);
  throw new NotFoundError(`node '${target.host}' not found; 'tsh ls' lists nodes`);
}

function ambiguous(host: string, nodes: Server[]): BadParameterError {
  const ids = nodes.map((n) => n.metadata.name).sort();
  return new BadParameterError(
    `host '${host}' matches ${ids.length} nodes (${ids.join(', ')}): connect by node UUID instead, ` +
      `e.g. 'tsh ssh user@${ids[0] ?? ''}' ('tsh ls -v' shows UUIDs)`,
  );
}

/** Inputs of {@link NodeResolver}. */
export interface NodeResolverOptions {
  source: WatchSource;
  clusterName: string;
  clock: Clock;
  logger: Logger;
}

/** The proxy's view of the cluster's nodes, for routing SSH connections. */
export class NodeResolver {
  private readonly cache: ResourceCache<Server>;

  constructor(private readonly opts: NodeResolverOptions) {
    this.cache = new ResourceCache<Server>({ source: opts.source, kind: 'node', logger: opts.logger });
  }

  /** Settles once the first list of nodes is loaded. */
  get ready(): Promise<void> {
    return this.cache.ready;
  }

  /** The live (unexpired) nodes the cache holds now. */
  nodes(): Server[] {
    const now = this.opts.clock.nowMs();
    return this.cache.values().filter((n) => isLive(n, now));
  }

  /**
   * The node `target` names. Uses the cache; before its first snapshot, or when a stale cache does
   * not know the name, asks the auth service directly (a ConnectionProblemError when it is down).
   */
  async resolve(target: NodeTarget): Promise<Server> {
    if (this.cache.hasSnapshot) {
      try {
        return matchNode(this.nodes(), target, this.opts.clusterName);
      } catch (err) {
        if (this.cache.isFresh || !(err instanceof NotFoundError)) throw err;
      }
    }
    const now = this.opts.clock.nowMs();
    const listed = (await this.opts.source.listResources<Server>('node')).filter((n) => isLive(n, now));
    return matchNode(listed, target, this.opts.clusterName);
  }

  /** Stops watching. */
  close(): Promise<void> {
    return this.cache.close();
  }
}
