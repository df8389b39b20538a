/**
 * @module types/proxy
 * The proxy resource (kind proxy, version v2; upstream's ServerV2 with kind proxy): a proxy announces
 * itself with a presence TTL so agents that dial in through a load balancer learn every proxy of the
 * cluster (reverse tunnel discovery), and `tctl get proxies` lists the live ones. `metadata.name` is
 * the proxy's host UUID; the record expires unless the proxy's heartbeat keeps renewing it.
 */
import type { Resource } from './resource.ts';

/** Proxy spec: the same field names as a node's (ServerSpec) where the meaning is the same. */
export interface ProxySpec {
  /** The proxy's host name (its node name). */
  hostname: string;
  /**
   * host:port agents dial for the reverse tunnel (the proxy's tunnel listener, or its public tunnel
   * address when one is configured). This is the address discovery hands to agents.
   */
  addr: string;
  /** host:port of the proxy's web (HTTPS) endpoint as users reach it. */
  public_addr?: string;
  /** Software version of the proxy. */
  version?: string;
}

/** A proxy. Named `ProxyServer` so it does not shadow JavaScript's global `Proxy`. */
export type ProxyServer = Resource<'proxy', ProxySpec>;
