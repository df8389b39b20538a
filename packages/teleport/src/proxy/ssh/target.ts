/**
 * @module proxy/ssh/target
 * The proxy subsystem's name, as upstream tsh sends it: `proxy:<host>:<port>@<cluster>`, or without
 * the cluster, `proxy:<host>:<port>`. The host may be an IPv6 address in brackets and the port may
 * be empty or absent. Pure parsing; routing happens in nodeResolver.
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { splitHostPort, type NodeTarget } from './nodeResolver.ts';

/** The prefix of the proxy subsystem's name. */
export const PROXY_SUBSYSTEM_PREFIX = 'proxy:';

/** A parsed proxy subsystem request. */
export interface ProxySubsystemRequest extends NodeTarget {
  /** The cluster named after "@", when one was. */
  cluster?: string;
}

/** True when a subsystem name is the proxy subsystem. */
export const isProxySubsystem = (name: string): boolean => name.startsWith(PROXY_SUBSYSTEM_PREFIX);

/**
 * Parses `proxy:<host>:<port>[@<cluster>]`. Throws BadParameterError for a malformed name or one
 * without a host (upstream uses `proxy:@cluster` to reach a cluster's auth server, which this proxy
 * does not offer).
 */
export function parseProxySubsystem(name: string): ProxySubsystemRequest {
  if (!isProxySubsystem(name)) throw new BadParameterError(`"${name}" is not a proxy subsystem request (proxy:<host>:<port>@<cluster>)`);
  let rest = name.slice(PROXY_SUBSYSTEM_PREFIX.length);
  let cluster: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    cluster = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const { host, port } = splitHostPort(rest);
  if (host === '') {
    throw new BadParameterError(
      `proxy subsystem "${name}" names no host: ask for proxy:<node>:<port>@<cluster> (this proxy does not forward to the auth service)`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (!rest.startsWith('[') && host.includes(':'))) {
    throw new BadParameterError(`proxy subsystem "${name}" is malformed: expected proxy:<host>:<port>@<cluster>`);
  }
  return cluster ? { host, port, cluster } : { host, port };
}
