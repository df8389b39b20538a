/**
 * @module clock
 * Injected time. Everything that depends on "now" (TTLs, expiry, lockouts, certificate validity) takes a
 * Clock so tests can move time with FakeClock instead of sleeping.
 */

/** A source of the current time. */
export interface Clock {
  /** Current time in milliseconds since the epoch. */
  nowMs(): number;
  /** Current time as a Date. */
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  now: () => new Date(),
};

/** A clock that only moves when told to; for tests. */
export class FakeClock implements Clock {
  private ms: number;

  /** Starts at `start` (default: 2026-01-01T00:00:00Z, a fixed instant so tests are repeatable). */
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  nowMs(): number {
    return this.ms;
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.ms += ms;
  }

  /** Sets the current time. */
  set(to: Date | number): void {
    this.ms = typeof to === 'number' ? to : to.getTime();
  }
}
