/**
 * @module service/proxyPresence
 * A proxy's place in the cluster's list of proxies: it announces its own `proxy` record (tunnel and
 * web addresses, with a presence TTL) and watches everyone else's, so that agents connected to it
 * learn every proxy and keep a tunnel to each. A graceful stop deletes the record at once; a crash
 * leaves it to expire.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { ProxyEndpoint } from '../reversetunnel/protocol.ts';
import type { Logger } from '../utils/logger.ts';
import { VERSION } from '../version.ts';
import { ProxyHeartbeat } from './proxyHeartbeat.ts';
import { ProxyWatcher } from './proxyWatcher.ts';

/** What a proxy announces about itself. */
export interface ProxySelf {
  hostId: string;
  nodeName: string;
  /** host:port agents dial for the reverse tunnel (3024). */
  tunnelAddr: string;
  /** host:port of the web port (3080), for agents that reach proxies by ALPN. */
  webAddr: string;
}

/** Running announcement and watch. */
export interface ProxyPresence {
  /** Every live proxy (this one first), as agents are told. */
  endpoints(): ProxyEndpoint[];
  stop(opts: { graceful: boolean }): Promise<void>;
}

/** The tunnel endpoint a proxy record describes. */
export function endpointOf(p: ProxyServer): ProxyEndpoint {
  return { host_id: p.metadata.name, addr: p.spec.addr, ...(p.spec.public_addr && { web_addr: p.spec.public_addr }) };
}

/** Starts announcing `self` and watching the other proxies. */
export async function startProxyPresence(opts: { authClient: AuthClient; self: ProxySelf; clock: Clock; logger: Logger; heartbeatIntervalMs?: number }): Promise<ProxyPresence> {
  const { self, authClient, clock, logger } = opts;
  const heartbeat = new ProxyHeartbeat({
    authClient, clock, logger,
    fields: () => ({ hostId: self.hostId, nodeName: self.nodeName, tunnelAddr: self.tunnelAddr, publicAddr: self.webAddr, version: VERSION }),
    ...(opts.heartbeatIntervalMs !== undefined && { intervalMs: opts.heartbeatIntervalMs }),
  });
  const watcher = new ProxyWatcher({ authClient, clock, logger });
  watcher.start();
  await heartbeat.start();
  const own: ProxyEndpoint = { host_id: self.hostId, addr: self.tunnelAddr, web_addr: self.webAddr };
  return {
    endpoints: () => [own, ...watcher.proxies().filter((p) => p.metadata.name !== self.hostId && p.spec.addr).map(endpointOf)],
    async stop({ graceful }) {
      await heartbeat.stop({ deleteRecord: graceful });
      await watcher.close();
    },
  };
}
