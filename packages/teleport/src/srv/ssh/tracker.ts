/**
 * @module srv/ssh/tracker
 * Publishes one session's `session_tracker` resource while it runs: written when the session
 * starts and whenever its participants change, re-written before its short TTL runs out, deleted
 * when the session ends. Writes are serialized (a late upsert can never resurrect a deleted
 * tracker) and never block the session; failures are logged.
 */
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import type { Clock } from '@teleport-ts/api/clock';
import { errorMessage, isNotFound } from '@teleport-ts/api/errors';
import type { SessionTracker, SessionTrackerSpec } from '@teleport-ts/api/types/sessionTracker';
import type { Logger } from '../../utils/logger.ts';

/** Timing of tracker writes. */
export interface TrackerTiming {
  /** metadata.expires = now + ttlMs (default 2 minutes). */
  ttlMs?: number;
  /** Re-write interval (default 30 s). */
  refreshMs?: number;
}

/** Inputs of SessionTrackerPublisher. */
export interface TrackerOptions extends TrackerTiming {
  authClient: Pick<AuthClient, 'upsertResource' | 'deleteResource'>;
  clock: Clock;
  logger: Logger;
  spec: SessionTrackerSpec;
}

/** Keeps one session's tracker in auth. */
export class SessionTrackerPublisher {
  private spec: SessionTrackerSpec;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly opts: TrackerOptions) {
    this.spec = { ...opts.spec };
  }

  /** Writes the tracker and starts refreshing it. */
  start(): void {
    this.write();
    this.timer = setInterval(() => this.write(), this.opts.refreshMs ?? 30_000);
    this.timer.unref();
  }

  /** Changes fields (participants, state) and writes the tracker. */
  update(patch: Partial<SessionTrackerSpec>): void {
    this.spec = { ...this.spec, ...patch };
    this.write();
  }

  /** Deletes the tracker; resolves when done (or failed). */
  end(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      if (this.timer) clearInterval(this.timer);
      this.chain = this.chain.then(async () => {
        try {
          await this.opts.authClient.deleteResource('session_tracker', this.spec.session_id);
        } catch (err) {
          if (!isNotFound(err)) this.opts.logger.warn({ sid: this.spec.session_id, err: errorMessage(err) }, 'could not delete session tracker');
        }
      });
    }
    return this.chain;
  }

  private write(): void {
    if (this.ended) return;
    const tracker: SessionTracker = {
      kind: 'session_tracker',
      version: 'v1',
      metadata: { name: this.spec.session_id, expires: new Date(this.opts.clock.nowMs() + (this.opts.ttlMs ?? 120_000)).toISOString() },
      spec: { ...this.spec, participants: this.spec.participants.map((p) => ({ ...p })) },
    };
    this.chain = this.chain.then(async () => {
      if (this.ended) return;
      try {
        await this.opts.authClient.upsertResource(tracker);
      } catch (err) {
        this.opts.logger.warn({ sid: this.spec.session_id, err: errorMessage(err) }, 'could not write session tracker');
      }
    });
  }
}
