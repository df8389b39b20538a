/**
 * @module srv/ssh/heartbeat
 * Announces the node to auth: upserts its `node` resource (v2) with a presence TTL (10 minutes)
 * about every minute and whenever its labels change, so `tsh ls` lists it and RBAC can filter it,
 * and a node that dies silently disappears. A graceful stop deletes the record at once.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import type { CommandLabel, Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';
import { PRESENCE_HEARTBEAT_INTERVAL_MS, PRESENCE_TTL_MS, ResourceHeartbeat } from '../../services/resourceHeartbeat.ts';

/** Default time between announcements. */
export const HEARTBEAT_INTERVAL_MS = PRESENCE_HEARTBEAT_INTERVAL_MS;
/** How long a node record lives without a new announcement. */
export const SERVER_TTL_MS = PRESENCE_TTL_MS;

/** What goes into the node record. */
export interface NodeRecordFields {
  hostId: string;
  nodeName: string;
  /** host:port the proxy dials; empty for a node reachable only through a reverse tunnel. */
  addr: string;
  /** The node dials out to the proxies (reverse tunnel); recorded as spec.use_tunnel. */
  useTunnel?: boolean;
  labels: Record<string, string>;
  cmdLabels: Record<string, CommandLabel>;
  version: string;
}

/** Builds the node resource for `f` expiring `ttlMs` after `nowMs`. */
export function nodeRecord(f: NodeRecordFields, nowMs: number, ttlMs = SERVER_TTL_MS): Server {
  return {
    kind: 'node',
    version: 'v2',
    metadata: { name: f.hostId, labels: { ...f.labels }, expires: new Date(nowMs + ttlMs).toISOString() },
    spec: {
      addr: f.addr,
      hostname: f.nodeName,
      ...(Object.keys(f.cmdLabels).length > 0 && { cmd_labels: f.cmdLabels }),
      ...(f.useTunnel === true && { use_tunnel: true }),
      version: f.version,
    },
  };
}

/** Inputs of Heartbeat. */
export interface HeartbeatOptions {
  authClient: Pick<AuthClient, 'upsertResource' | 'deleteResource'>;
  clock: Clock;
  logger: Logger;
  /** Current record contents. */
  fields: () => NodeRecordFields;
  intervalMs?: number;
  ttlMs?: number;
}

/** Keeps the node record alive (the shared presence loop with the node's record). */
export class Heartbeat extends ResourceHeartbeat<Server> {
  constructor(opts: HeartbeatOptions) {
    super({
      authClient: opts.authClient, clock: opts.clock, logger: opts.logger,
      intervalMs: opts.intervalMs ?? HEARTBEAT_INTERVAL_MS,
      record: (nowMs) => nodeRecord(opts.fields(), nowMs, opts.ttlMs),
    });
  }
}
