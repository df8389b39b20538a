/**
 * @module srv/ssh/heartbeat
 * Announces the node to auth: upserts its `node` resource (v2) with a presence TTL (10 minutes)
 * about every minute and whenever its labels change, so `tsh ls` lists it and RBAC can filter it,
 * and a node that dies silently disappears. A graceful stop deletes the record at once.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage, isNotFound } from '@teleport-ts/api/errors';
import type { CommandLabel, Server } from '@teleport-ts/api/types/server';
import type { Logger } from '../../utils/logger.ts';

/** Default time between announcements. */
export const HEARTBEAT_INTERVAL_MS = 60_000;
/** How long a node record lives without a new announcement. */
export const SERVER_TTL_MS = 10 * 60_000;

/** What goes into the node record. */
export interface NodeRecordFields {
  hostId: string;
  nodeName: string;
  /** host:port the proxy dials. */
  addr: string;
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

/** Keeps the node record alive. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: HeartbeatOptions) {}

  /** Announces now and then every interval. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.announce(), this.opts.intervalMs ?? HEARTBEAT_INTERVAL_MS);
    this.timer.unref();
    return this.announce();
  }

  /** Upserts the record now (announcements never overlap); failures are logged. */
  announce(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      const record = nodeRecord(this.opts.fields(), this.opts.clock.nowMs(), this.opts.ttlMs);
      try {
        await this.opts.authClient.upsertResource(record);
      } catch (err) {
        this.opts.logger.warn({ err: errorMessage(err) }, 'node heartbeat failed; retrying at the next interval');
      }
    });
    return this.chain;
  }

  /** Stops announcing; with `deleteRecord`, removes the node record from auth. */
  async stop(opts: { deleteRecord: boolean }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.chain;
    if (!opts.deleteRecord) return;
    try {
      await this.opts.authClient.deleteResource('node', this.opts.fields().hostId);
    } catch (err) {
      if (!isNotFound(err)) this.opts.logger.warn({ err: errorMessage(err) }, 'could not delete the node record; it expires on its own');
    }
  }
}
