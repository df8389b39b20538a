/**
 * @module services/resourceHeartbeat
 * The presence loop every agent runs: upsert its own record (node, proxy, ...) with a TTL now and
 * then on an interval, so a live agent stays listed and one that dies silently disappears when the
 * TTL runs out; a graceful stop deletes the record at once. What the record says is the caller's
 * business (a `record(nowMs)` function); announcements never overlap and failures are logged and
 * retried at the next interval.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage, isNotFound } from '@teleport-ts/api/errors';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { Logger } from '../utils/logger.ts';

/** Default time between announcements (upstream: about a minute). */
export const PRESENCE_HEARTBEAT_INTERVAL_MS = 60_000;
/** How long a presence record lives without a new announcement (upstream: 10 minutes). */
export const PRESENCE_TTL_MS = 10 * 60_000;

/** RFC 3339 expiry `ttlMs` after `nowMs`, for `metadata.expires`. */
export function presenceExpiry(nowMs: number, ttlMs = PRESENCE_TTL_MS): string {
  return new Date(nowMs + ttlMs).toISOString();
}

/** Inputs of {@link ResourceHeartbeat}. */
export interface ResourceHeartbeatOptions<R extends Resource> {
  authClient: Pick<AuthClient, 'upsertResource' | 'deleteResource'>;
  clock: Clock;
  logger: Logger;
  /** The record to announce, its `metadata.expires` set relative to `nowMs`. */
  record: (nowMs: number) => R;
  intervalMs?: number;
}

/** Keeps one presence record alive. */
export class ResourceHeartbeat<R extends Resource> {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: ResourceHeartbeatOptions<R>) {}

  /** Announces now and then every interval; resolves after the first announcement (which may have failed). */
  start(): Promise<void> {
    if (!this.timer && !this.stopped) {
      this.timer = setInterval(() => void this.announce(), this.opts.intervalMs ?? PRESENCE_HEARTBEAT_INTERVAL_MS);
      this.timer.unref();
    }
    return this.announce();
  }

  /** Upserts the record now (after any announcement in flight); failures are logged, never thrown. */
  announce(): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      const record = this.opts.record(this.opts.clock.nowMs());
      try {
        await this.opts.authClient.upsertResource(record);
      } catch (err) {
        this.opts.logger.warn({ err: errorMessage(err), kind: record.kind }, `${record.kind} heartbeat failed; retrying at the next interval`);
      }
    });
    return this.chain;
  }

  /** Stops announcing; with `deleteRecord`, removes the record from auth (a missing record is fine). */
  async stop(opts: { deleteRecord: boolean }): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.chain;
    if (!opts.deleteRecord) return;
    const { kind, metadata } = this.opts.record(this.opts.clock.nowMs());
    try {
      await this.opts.authClient.deleteResource(kind, metadata.name);
    } catch (err) {
      if (!isNotFound(err)) this.opts.logger.warn({ err: errorMessage(err), kind }, `could not delete the ${kind} record; it expires on its own`);
    }
  }
}
