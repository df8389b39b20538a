/**
 * @module service/proxyHeartbeat
 * The proxy announces itself to auth: a `proxy` record (v2) named by its host UUID, carrying the
 * address agents dial for reverse tunnels and the web public address, renewed about every minute
 * with a 10-minute TTL (services/resourceHeartbeat). Agents behind a load balancer learn every proxy
 * from these records; a graceful stop removes the record so agents stop dialing a proxy that left.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import type { ProxyServer } from '@teleport-ts/api/types/proxy';
import type { Logger } from '../utils/logger.ts';
import { PRESENCE_TTL_MS, presenceExpiry, ResourceHeartbeat } from '../services/resourceHeartbeat.ts';

/** What goes into the proxy record. */
export interface ProxyRecordFields {
  hostId: string;
  nodeName: string;
  /** host:port agents dial for the reverse tunnel (spec.addr). */
  tunnelAddr: string;
  /** host:port of the web endpoint users reach (spec.public_addr); empty to leave it out. */
  publicAddr: string;
  version: string;
}

/** Builds the proxy resource for `f` expiring `ttlMs` after `nowMs`. */
export function proxyRecord(f: ProxyRecordFields, nowMs: number, ttlMs = PRESENCE_TTL_MS): ProxyServer {
  return {
    kind: 'proxy',
    version: 'v2',
    metadata: { name: f.hostId, expires: presenceExpiry(nowMs, ttlMs) },
    spec: {
      hostname: f.nodeName,
      addr: f.tunnelAddr,
      ...(f.publicAddr !== '' && { public_addr: f.publicAddr }),
      version: f.version,
    },
  };
}

/** Inputs of {@link ProxyHeartbeat}. */
export interface ProxyHeartbeatOptions {
  authClient: Pick<AuthClient, 'upsertResource' | 'deleteResource'>;
  clock: Clock;
  logger: Logger;
  /** Current record contents (read at every announcement). */
  fields: () => ProxyRecordFields;
  intervalMs?: number;
  ttlMs?: number;
}

/** Keeps the proxy record alive. */
export class ProxyHeartbeat {
  private readonly beat: ResourceHeartbeat<ProxyServer>;

  constructor(opts: ProxyHeartbeatOptions) {
    this.beat = new ResourceHeartbeat({
      authClient: opts.authClient, clock: opts.clock, logger: opts.logger,
      record: (nowMs) => proxyRecord(opts.fields(), nowMs, opts.ttlMs),
      ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
    });
  }

  /** Announces now and then every interval. */
  start(): Promise<void> {
    return this.beat.start();
  }

  /** Upserts the record now; failures are logged. */
  announce(): Promise<void> {
    return this.beat.announce();
  }

  /** Stops announcing; with `deleteRecord`, removes the proxy record from auth. */
  stop(opts: { deleteRecord: boolean }): Promise<void> {
    return this.beat.stop(opts);
  }
}
