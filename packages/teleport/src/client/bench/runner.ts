/**
 * @module client/bench/runner
 * The open-loop load generator behind `tsh bench`: request i is due at start + i/rate seconds, for
 * `rate * duration` requests, whatever happened to the earlier ones. Latency is measured from the
 * time a request was due, not from when it got going, so a stall (the target, or the concurrency
 * cap, holding requests back) shows up in the percentiles instead of silently lowering the rate —
 * the "coordinated omission" a closed loop (send, wait, send) suffers from.
 *
 * At most `concurrency` requests are in flight; a request due while the cap is reached starts when a
 * slot frees, its latency still counted from when it was due. Failures are counted (their latency is
 * recorded too, as upstream does) and the first few distinct messages kept. The clock and timers are
 * injected so tests run in virtual time.
 */
import { Histogram } from './histogram.ts';

/** Time as the runner sees it: a monotonic millisecond clock and a timer. */
export interface BenchTimer {
  /** Monotonic milliseconds (fractions allowed). */
  now(): number;
  /** Resolves once `now()` has reached `atMs`. */
  sleepUntil(atMs: number): Promise<void>;
}

/** The real clock: performance.now() and setTimeout. */
export const realBenchTimer: BenchTimer = {
  now: () => performance.now(),
  sleepUntil(atMs) {
    const wait = atMs - performance.now();
    return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait));
  },
};

/** Options of {@link runBenchmark}. */
export interface BenchRunOptions {
  /** Requests per second (> 0). */
  rate: number;
  /** How long to originate requests, ms (> 0). Requests still running at the end are awaited. */
  durationMs: number;
  /** Most requests in flight at once (default 64). */
  concurrency?: number;
  /** One request; rejects on failure. */
  request: () => Promise<unknown>;
  /** How many distinct error messages to keep (default 5). */
  maxErrors?: number;
  timer?: BenchTimer;
  /** Stops originating new requests (the ones in flight are awaited). */
  signal?: AbortSignal;
}

/** What a run measured. */
export interface BenchResult {
  /** Requests started. */
  requests: number;
  /** Requests that failed. */
  failures: number;
  /** The first distinct failure messages, at most `maxErrors`. */
  errors: string[];
  /** Latency of every request (successful or not), µs, from when it was due to when it ended. */
  histogram: Histogram;
  /** Wall time from the first request being due to the last one ending, ms. */
  elapsedMs: number;
}

/** Default cap on requests in flight. */
export const DEFAULT_CONCURRENCY = 64;

/** Runs the benchmark (see the module comment). */
export async function runBenchmark(o: BenchRunOptions): Promise<BenchResult> {
  if (!(o.rate > 0) || !Number.isFinite(o.rate)) throw new RangeError(`rate must be a positive number of requests per second, not ${o.rate}`);
  if (!(o.durationMs > 0)) throw new RangeError(`duration must be positive, not ${o.durationMs} ms`);
  const concurrency = o.concurrency ?? DEFAULT_CONCURRENCY;
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, not ${concurrency}`);
  const timer = o.timer ?? realBenchTimer;
  const maxErrors = o.maxErrors ?? 5;
  const total = Math.max(1, Math.round((o.rate * o.durationMs) / 1000));
  const intervalMs = 1000 / o.rate;
  const histogram = new Histogram();
  const errors: string[] = [];
  let requests = 0;
  let failures = 0;
  let inFlight = 0;
  let slotFreed: (() => void) | undefined;
  const running = new Set<Promise<void>>();

  const one = async (dueMs: number): Promise<void> => {
    try {
      await o.request();
    } catch (err) {
      failures++;
      const msg = err instanceof Error ? err.message : String(err);
      if (errors.length < maxErrors && !errors.includes(msg)) errors.push(msg);
    } finally {
      histogram.record((timer.now() - dueMs) * 1000);
      inFlight--;
      const wake = slotFreed;
      slotFreed = undefined;
      wake?.();
    }
  };

  const start = timer.now();
  for (let i = 0; i < total && !o.signal?.aborted; i++) {
    const due = start + i * intervalMs;
    await timer.sleepUntil(due);
    while (inFlight >= concurrency) await new Promise<void>((resolve) => (slotFreed = resolve));
    if (o.signal?.aborted) break;
    inFlight++;
    requests++;
    const p = one(due);
    running.add(p);
    void p.finally(() => running.delete(p));
  }
  await Promise.all(running);
  return { requests, failures, errors, histogram, elapsedMs: timer.now() - start };
}
