/**
 * @module proxy/web/rateLimiter
 * Per-client token buckets for the endpoints that take credentials (password login, invite
 * completion). Account lockout stops guessing one user's password; this stops one address from
 * spraying many users or hammering auth with argon2id work. The clock is injected for tests.
 */
import { LimitExceededError } from '@teleport-ts/api/errors';
import type { Clock } from '@teleport-ts/api/clock';

/** Bucket settings: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  burst: number;
  perSecond: number;
}

/** Default for credential endpoints: 30 at once, then one every 2 seconds. */
export const CREDENTIAL_RATE_LIMIT: RateLimit = { burst: 30, perSecond: 0.5 };

/** Most clients tracked at once; the least recently seen are forgotten first. */
const MAX_CLIENTS = 10_000;

/** Token buckets keyed by client address. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {}

  /** Takes one token for `client` or throws LimitExceededError saying how long to wait. */
  take(client: string): void {
    const now = this.clock.nowMs();
    const prev = this.buckets.get(client);
    const refilled = prev ? Math.min(this.limit.burst, prev.tokens + ((now - prev.at) / 1000) * this.limit.perSecond) : this.limit.burst;
    if (refilled < 1) {
      const waitS = Math.ceil((1 - refilled) / this.limit.perSecond);
      throw new LimitExceededError(`too many attempts from ${client}: wait ${waitS}s and try again`);
    }
    this.buckets.delete(client); // re-insert to keep Map order = recency
    this.buckets.set(client, { tokens: refilled - 1, at: now });
    if (this.buckets.size > MAX_CLIENTS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
